//! The small, fast tokenizer the matcher and the parser share: lowercase, diacritic-folded word
//! tokens, with `#hashtags` and `@mentions` kept as tokens of their own kind.
//!
//! Rules (documented for users in `docs/queries.md`):
//! - A word is a maximal run of Unicode letters and digits (`char::is_alphanumeric`). Everything else
//!   (spaces, punctuation, apostrophes, emoji, `_`) separates words: `don't` → `don`, `t`.
//! - `#` directly followed by a letter, digit or `_` starts a hashtag (letters, digits, `_`), unless
//!   the `#` follows a letter or digit (`C#` is the word `c`).
//! - `@` directly followed by a letter, digit or `_` starts a mention (letters, digits, `_`, and `.`,
//!   `-`, `@` when followed by a letter or digit, so `@amy@mastodon.social` and
//!   `@shop.bsky.social` are one token), unless the `@` follows a letter or digit (`amy@example.com`
//!   is three words).
//! - Folding: ASCII is lowercased; any other character is decomposed (NFD), combining marks are
//!   dropped and the rest lowercased, so `Café`, `CAFE` and `cafe\u{301}` all become `cafe`.
//!
//! The folded tokens are written into one buffer, each surrounded by single spaces
//! (`" late again delta "`), so that an Aho-Corasick automaton can look for whole tokens (`" late "`)
//! or token prefixes (`" deliver"`) in one pass.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// What kind of token a word is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A plain word.
    Word,
    /// A `#hashtag` (its text is stored without the `#`).
    Hashtag,
    /// An `@mention` (its text is stored without the `@`).
    Mention,
}

impl TokenKind {
    /// The sigil that marks this kind in query terms: `#`, `@`, or nothing for words.
    pub fn sigil(self) -> &'static str {
        match self {
            TokenKind::Word => "",
            TokenKind::Hashtag => "#",
            TokenKind::Mention => "@",
        }
    }
}

/// One token: its kind and where its folded text lies in [`TokenizedText::folded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    start: u32,
    end: u32,
}

/// A text cut into folded tokens, stored once in a space-separated buffer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenizedText {
    folded: String,
    tokens: Vec<Token>,
}

impl TokenizedText {
    /// Tokenizes `text` (see the module documentation for the rules).
    pub fn new(text: &str) -> Self {
        let mut tokenized = TokenizedText {
            folded: String::with_capacity(text.len() + 2),
            tokens: Vec::with_capacity(text.len() / 5 + 1),
        };
        tokenized.folded.push(' ');
        tokenized.scan(text);
        tokenized
    }

    /// The tokens, in text order; a token's position is its index here.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the text had no tokens at all.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The folded text of a token (without its `#`/`@` sigil).
    pub fn text(&self, token: &Token) -> &str {
        &self.folded[token.start as usize..token.end as usize]
    }

    /// The whole buffer: `" tok1 tok2 … "` (a single space when there are no tokens).
    pub fn folded(&self) -> &str {
        &self.folded
    }

    /// Every token as `(kind, text)`, mostly for tests and debugging.
    pub fn pairs(&self) -> Vec<(TokenKind, &str)> {
        self.tokens.iter().map(|t| (t.kind, self.text(t))).collect()
    }

    /// Whether any token has this kind.
    pub fn has_kind(&self, kind: TokenKind) -> bool {
        self.tokens.iter().any(|t| t.kind == kind)
    }

    fn scan(&mut self, text: &str) {
        let mut index = 0;
        let mut previous_is_alphanumeric = false;
        while let Some(c) = text[index..].chars().next() {
            let after = index + c.len_utf8();
            let starts_sigil_token = (c == '#' || c == '@')
                && !previous_is_alphanumeric
                && text[after..].chars().next().is_some_and(is_tag_char);
            if starts_sigil_token {
                let kind = if c == '#' {
                    TokenKind::Hashtag
                } else {
                    TokenKind::Mention
                };
                index = self.read_token(text, after, kind);
                previous_is_alphanumeric = true;
                continue;
            }
            if c.is_alphanumeric() {
                index = self.read_token(text, index, TokenKind::Word);
                previous_is_alphanumeric = true;
                continue;
            }
            // A stray combining mark (after punctuation) neither starts nor separates anything.
            if !is_mark(c) {
                previous_is_alphanumeric = false;
            }
            index = after;
        }
    }

    /// Reads one token starting at byte `start`; returns the byte index just after it.
    fn read_token(&mut self, text: &str, start: usize, kind: TokenKind) -> usize {
        let token_start = self.folded.len();
        let mut index = start;
        while let Some(c) = text[index..].chars().next() {
            let after = index + c.len_utf8();
            let continues = match kind {
                TokenKind::Word => c.is_alphanumeric() || is_mark(c),
                TokenKind::Hashtag => is_tag_char(c) || is_mark(c),
                TokenKind::Mention => {
                    is_tag_char(c)
                        || is_mark(c)
                        || (matches!(c, '.' | '-' | '@')
                            && text[after..]
                                .chars()
                                .next()
                                .is_some_and(|n| n.is_alphanumeric()))
                }
            };
            if !continues {
                break;
            }
            push_folded(c, &mut self.folded);
            index = after;
        }
        let token_end = self.folded.len();
        if token_end > token_start {
            self.tokens.push(Token {
                kind,
                start: token_start as u32,
                end: token_end as u32,
            });
            self.folded.push(' ');
        }
        index
    }
}

/// A combining mark (accent) that continues the current word; never ASCII.
fn is_mark(c: char) -> bool {
    !c.is_ascii() && is_combining_mark(c)
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Appends the folded form of `c` (lowercase, diacritics removed) to `out`.
pub fn push_folded(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    decompose_canonical(c, |part| {
        if is_combining_mark(part) {
            return;
        }
        for lower in part.to_lowercase() {
            out.push(lower);
        }
    });
}

/// The folded form of a whole string (lowercase, diacritics removed), no tokenizing.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_folded(c, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let tokenized = TokenizedText::new(text);
        tokenized
            .tokens()
            .iter()
            .map(|t| format!("{}{}", t.kind.sigil(), tokenized.text(t)))
            .collect()
    }

    #[test]
    fn splits_on_punctuation_and_lowercases() {
        assert_eq!(
            words("Flight DL123 is LATE, again!! don't"),
            ["flight", "dl123", "is", "late", "again", "don", "t"]
        );
    }

    #[test]
    fn keeps_hashtags_and_mentions_as_their_own_tokens() {
        assert_eq!(
            words("@Delta #FailWhale_2 thanks @amy@mastodon.social."),
            ["@delta", "#failwhale_2", "thanks", "@amy@mastodon.social"]
        );
    }

    #[test]
    fn email_addresses_and_csharp_are_not_tags() {
        assert_eq!(
            words("amy@example.com C# #"),
            ["amy", "example", "com", "c"]
        );
    }

    #[test]
    fn folds_diacritics_both_precomposed_and_decomposed() {
        assert_eq!(
            words("Café CAFE cafe\u{301} Ünïcödé"),
            ["cafe", "cafe", "cafe", "unicode"]
        );
    }

    #[test]
    fn buffer_is_space_delimited_for_the_prefilter() {
        let tokenized = TokenizedText::new("Late again");
        assert_eq!(tokenized.folded(), " late again ");
        assert_eq!(TokenizedText::new("!!").folded(), " ");
        assert!(TokenizedText::new("").is_empty());
    }

    #[test]
    fn kinds_are_reported() {
        let tokenized = TokenizedText::new("hi #there");
        assert!(tokenized.has_kind(TokenKind::Hashtag));
        assert!(!tokenized.has_kind(TokenKind::Mention));
        assert_eq!(
            tokenized.pairs(),
            [(TokenKind::Word, "hi"), (TokenKind::Hashtag, "there")]
        );
    }
}
