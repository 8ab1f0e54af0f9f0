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
//! The folded text is kept in one buffer and each token is a slice of it. For ASCII text (nearly
//! every post) the buffer is the whole text lowercased, tokens at their own positions; otherwise
//! the folded tokens are written one after another, each surrounded by single spaces
//! (`" late again delta "`).

use switchyard_text::ascii_runs::alnum_run;
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

/// A text cut into folded tokens, stored once in one buffer (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenizedText {
    folded: String,
    tokens: Vec<Token>,
}

impl TokenizedText {
    /// Tokenizes `text` (see the module documentation for the rules).
    pub fn new(text: &str) -> Self {
        if text.is_ascii() {
            // ASCII folds byte for byte: lowercase the whole text at once (vectorised) and cut
            // the tokens from it in place, instead of copying and lowercasing token by token.
            let mut tokenized = TokenizedText {
                folded: text.to_ascii_lowercase(),
                tokens: Vec::with_capacity(text.len() / 5 + 1),
            };
            scan_ascii(text.as_bytes(), &mut tokenized.tokens);
            return tokenized;
        }
        let mut tokenized = TokenizedText {
            folded: String::with_capacity(text.len() + 2),
            tokens: Vec::with_capacity(text.len() / 5 + 1),
        };
        tokenized.folded.push(' ');
        scan(
            text,
            &mut TextSink {
                text: &mut tokenized,
                open: 0,
            },
        );
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

    /// The whole buffer: ASCII text lowercased, or `" tok1 tok2 … "` for other text (see the
    /// module documentation); tokens are slices of it.
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
}

/// Which tag kinds a text's tokens include, without building the tokens: the same scan as
/// [`TokenizedText::new`] with nothing written (for the search index's `has:` flags).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TagKinds {
    /// The text has an `@mention` token.
    pub mention: bool,
    /// The text has a `#hashtag` token.
    pub hashtag: bool,
}

impl TagKinds {
    /// Scans `text`.
    pub fn of(text: &str) -> TagKinds {
        let mut sink = KindSink::default();
        scan(text, &mut sink);
        sink.kinds
    }
}

/// Where [`scan`] puts the tokens it finds.
trait Sink {
    /// A token starts.
    fn begin(&mut self);
    /// An ASCII letter or digit of the current token, already lowercased.
    fn push_ascii(&mut self, byte: u8);
    /// Any other character of the current token (folded by the sink).
    fn push_char(&mut self, c: char);
    /// The current token ends.
    fn end(&mut self, kind: TokenKind);
}

/// Writes the folded tokens into a [`TokenizedText`].
struct TextSink<'a> {
    text: &'a mut TokenizedText,
    /// Where the current token starts in the folded buffer.
    open: usize,
}

impl Sink for TextSink<'_> {
    fn begin(&mut self) {
        self.open = self.text.folded.len();
    }

    fn push_ascii(&mut self, byte: u8) {
        self.text.folded.push(char::from(byte));
    }

    fn push_char(&mut self, c: char) {
        push_folded(c, &mut self.text.folded);
    }

    fn end(&mut self, kind: TokenKind) {
        let end = self.text.folded.len();
        // Empty when every character folded away (a run of combining letters).
        if end > self.open {
            self.text.tokens.push(Token {
                kind,
                start: self.open as u32,
                end: end as u32,
            });
            self.text.folded.push(' ');
        }
    }
}

/// Records only which kinds of non-empty tokens occur.
#[derive(Default)]
struct KindSink {
    kinds: TagKinds,
    /// Whether the current token has folded to anything yet.
    nonempty: bool,
    scratch: String,
}

impl Sink for KindSink {
    fn begin(&mut self) {
        self.nonempty = false;
    }

    fn push_ascii(&mut self, _byte: u8) {
        self.nonempty = true;
    }

    fn push_char(&mut self, c: char) {
        if !self.nonempty {
            self.scratch.clear();
            push_folded(c, &mut self.scratch);
            self.nonempty = !self.scratch.is_empty();
        }
    }

    fn end(&mut self, kind: TokenKind) {
        if self.nonempty {
            match kind {
                TokenKind::Mention => self.kinds.mention = true,
                TokenKind::Hashtag => self.kinds.hashtag = true,
                TokenKind::Word => {}
            }
        }
    }
}

/// The first character of `text` at byte `index`, if any.
#[inline]
fn char_at(text: &str, index: usize) -> Option<char> {
    text.get(index..).and_then(|rest| rest.chars().next())
}

/// Cuts `text` into tokens (see the module documentation for the rules) and hands them to `sink`.
/// ASCII, most of what posts contain, is classified byte by byte; any other character goes
/// through the Unicode path. Both paths apply the same rules (test `ascii_path_matches_the_unicode_rules`).
fn scan(text: &str, sink: &mut impl Sink) {
    let bytes = text.as_bytes();
    let mut index = 0;
    let mut previous_is_alphanumeric = false;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte.is_ascii_alphanumeric() {
            index = read_token(text, index, TokenKind::Word, sink);
            previous_is_alphanumeric = true;
            continue;
        }
        let (c, after) = if byte.is_ascii() {
            (char::from(byte), index + 1)
        } else {
            match char_at(text, index) {
                Some(c) => (c, index + c.len_utf8()),
                None => break,
            }
        };
        let starts_sigil_token = (c == '#' || c == '@')
            && !previous_is_alphanumeric
            && char_at(text, after).is_some_and(is_tag_char);
        if starts_sigil_token {
            let kind = if c == '#' {
                TokenKind::Hashtag
            } else {
                TokenKind::Mention
            };
            index = read_token(text, after, kind, sink);
            previous_is_alphanumeric = true;
            continue;
        }
        if c.is_alphanumeric() {
            index = read_token(text, index, TokenKind::Word, sink);
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

/// Reads one token starting at byte `start` into `sink`; returns the byte index just after it.
fn read_token(text: &str, start: usize, kind: TokenKind, sink: &mut impl Sink) -> usize {
    let bytes = text.as_bytes();
    sink.begin();
    let mut index = start;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte.is_ascii_alphanumeric() || (byte == b'_' && kind != TokenKind::Word) {
            sink.push_ascii(byte.to_ascii_lowercase());
            index += 1;
            continue;
        }
        let Some(c) = char_at(text, index) else { break };
        let after = index + c.len_utf8();
        let continues = match kind {
            TokenKind::Word => c.is_alphanumeric() || is_mark(c),
            TokenKind::Hashtag => is_tag_char(c) || is_mark(c),
            TokenKind::Mention => {
                is_tag_char(c)
                    || is_mark(c)
                    || (matches!(c, '.' | '-' | '@')
                        && char_at(text, after).is_some_and(|n| n.is_alphanumeric()))
            }
        };
        if !continues {
            break;
        }
        if c.is_ascii() {
            // '.', '-' or '@' inside a mention: ASCII folds to itself.
            sink.push_ascii(c as u8);
        } else {
            sink.push_char(c);
        }
        index = after;
    }
    sink.end(kind);
    index
}

/// Byte classes for [`scan_ascii`]: an ASCII letter or digit.
const ALNUM: u8 = 1;
/// A byte that continues a hashtag or mention: a letter, a digit or `_`.
const TAG: u8 = 2;
/// `.`, `-` or `@`: continues a mention when a letter or digit follows.
const JOIN: u8 = 4;

/// The class bits of every byte (zero for non-ASCII bytes, which [`scan_ascii`] never sees).
const CLASSES: [u8; 256] = {
    let mut classes = [0u8; 256];
    let mut byte = 0;
    while byte < 128 {
        let b = byte as u8;
        if b.is_ascii_alphanumeric() {
            classes[byte] = ALNUM | TAG;
        } else if b == b'_' {
            classes[byte] = TAG;
        } else if b == b'.' || b == b'-' || b == b'@' {
            classes[byte] = JOIN;
        }
        byte += 1;
    }
    classes
};

#[inline]
fn class(bytes: &[u8], index: usize) -> u8 {
    bytes
        .get(index)
        .map_or(0, |&byte| CLASSES[usize::from(byte)])
}

/// [`scan`] for a text that is all ASCII, the common case: the same rules (nothing folds but
/// case, nothing is a combining mark), with bytes classified by table; each token is its span of
/// the text, which the lowercased buffer shares (test `ascii_fast_path_matches_the_scan`).
fn scan_ascii(bytes: &[u8], tokens: &mut Vec<Token>) {
    let mut index = 0;
    let mut previous_is_alphanumeric = false;
    while index < bytes.len() {
        let byte = bytes[index];
        let here = CLASSES[usize::from(byte)];
        let (kind, start) = if here & ALNUM != 0 {
            (TokenKind::Word, index)
        } else if (byte == b'#' || byte == b'@')
            && !previous_is_alphanumeric
            && class(bytes, index + 1) & TAG != 0
        {
            let kind = if byte == b'#' {
                TokenKind::Hashtag
            } else {
                TokenKind::Mention
            };
            (kind, index + 1)
        } else {
            previous_is_alphanumeric = false;
            index += 1;
            continue;
        };
        let mut end = start + 1;
        if kind == TokenKind::Word {
            // Letters and digits, eight bytes at a time.
            end += alnum_run(&bytes[end..]);
        } else {
            loop {
                let next = class(bytes, end);
                if next & TAG != 0
                    || (kind == TokenKind::Mention
                        && next & JOIN != 0
                        && class(bytes, end + 1) & ALNUM != 0)
                {
                    end += 1;
                } else {
                    break;
                }
            }
        }
        // The buffer is the text lowercased, so a token's span is the same in both.
        tokens.push(Token {
            kind,
            start: start as u32,
            end: end as u32,
        });
        previous_is_alphanumeric = true;
        index = end;
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
    fn tokens_are_slices_of_the_folded_buffer() {
        // ASCII: the text lowercased, each token at its own place.
        let tokenized = TokenizedText::new("Late, AGAIN @Delta!");
        assert_eq!(tokenized.folded(), "late, again @delta!");
        assert_eq!(
            tokenized.pairs(),
            [
                (TokenKind::Word, "late"),
                (TokenKind::Word, "again"),
                (TokenKind::Mention, "delta")
            ]
        );
        assert_eq!(TokenizedText::new("!!").folded(), "!!");
        assert!(TokenizedText::new("!!").is_empty());
        assert!(TokenizedText::new("").is_empty());
        // Other text: the folded tokens between single spaces.
        let tokenized = TokenizedText::new("Café, déjà vu");
        assert_eq!(tokenized.folded(), " cafe deja vu ");
        assert_eq!(
            tokenized.pairs(),
            [
                (TokenKind::Word, "cafe"),
                (TokenKind::Word, "deja"),
                (TokenKind::Word, "vu")
            ]
        );
    }

    /// The tokenizer as it was before the ASCII fast path: one `char` at a time through the
    /// Unicode rules. The oracle for `ascii_path_matches_the_unicode_rules`.
    fn reference_tokens(text: &str) -> Vec<(TokenKind, String)> {
        let mut tokens = Vec::new();
        let mut index = 0;
        let mut previous_is_alphanumeric = false;
        while let Some(c) = text[index..].chars().next() {
            let after = index + c.len_utf8();
            let sigil = (c == '#' || c == '@')
                && !previous_is_alphanumeric
                && text[after..].chars().next().is_some_and(is_tag_char);
            let kind = if sigil && c == '#' {
                TokenKind::Hashtag
            } else if sigil {
                TokenKind::Mention
            } else if c.is_alphanumeric() {
                TokenKind::Word
            } else {
                if !is_mark(c) {
                    previous_is_alphanumeric = false;
                }
                index = after;
                continue;
            };
            index = if sigil { after } else { index };
            let mut folded = String::new();
            while let Some(c) = text[index..].chars().next() {
                let after = index + c.len_utf8();
                let next_is_alphanumeric = text[after..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric);
                let continues = match kind {
                    TokenKind::Word => c.is_alphanumeric() || is_mark(c),
                    TokenKind::Hashtag => is_tag_char(c) || is_mark(c),
                    TokenKind::Mention => {
                        is_tag_char(c)
                            || is_mark(c)
                            || (matches!(c, '.' | '-' | '@') && next_is_alphanumeric)
                    }
                };
                if !continues {
                    break;
                }
                push_folded(c, &mut folded);
                index = after;
            }
            if !folded.is_empty() {
                tokens.push((kind, folded));
            }
            previous_is_alphanumeric = true;
        }
        tokens
    }

    /// 20,000 texts of up to 15 pieces each, drawn with a fixed-seed generator.
    fn random_texts(pieces: &[&str], seed: u64) -> Vec<String> {
        let mut state = seed;
        let mut next = |bound: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) as usize) % bound
        };
        (0..20_000)
            .map(|_| {
                let len = next(16);
                (0..len).map(|_| pieces[next(pieces.len())]).collect()
            })
            .collect()
    }

    #[test]
    fn ascii_path_matches_the_unicode_rules() {
        const PIECES: &[&str] = &[
            "a", "Z", "7", "_", "#", "@", ".", "-", " ", "!", "'", "é", "E\u{301}", "\u{301}",
            "\u{93e}", "क", "日", "😀", "ß", "İ", "Ω", "\t", "x_y", "@a.b", "#_", "C#",
        ];
        for text in random_texts(PIECES, 0x5eed) {
            let tokenized = TokenizedText::new(&text);
            let ours: Vec<(TokenKind, String)> = tokenized
                .pairs()
                .into_iter()
                .map(|(kind, text)| (kind, text.to_string()))
                .collect();
            assert_eq!(ours, reference_tokens(&text), "text {text:?}");
            let kinds = TagKinds::of(&text);
            assert_eq!(
                kinds.mention,
                tokenized.has_kind(TokenKind::Mention),
                "{text:?}"
            );
            assert_eq!(
                kinds.hashtag,
                tokenized.has_kind(TokenKind::Hashtag),
                "{text:?}"
            );
        }
    }

    #[test]
    fn ascii_fast_path_matches_the_scan() {
        const PIECES: &[&str] = &[
            "a", "Z", "7", "_", "#", "@", ".", "-", " ", "!", "'", "\t", "x_y", "@a.b", "#_", "C#",
            "Late", "DL123", "@Delta", "#fail", "a@b.c", "..", "@-", "--x", "@@",
        ];
        for text in random_texts(PIECES, 0xa5c11) {
            let fast = TokenizedText::new(&text);
            let mut general = TokenizedText {
                folded: " ".to_string(),
                tokens: Vec::new(),
            };
            scan(
                &text,
                &mut TextSink {
                    text: &mut general,
                    open: 0,
                },
            );
            assert_eq!(fast.pairs(), general.pairs(), "text {text:?}");
        }
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
