//! A fast lowercase word tokenizer for the classifiers: words (with inner apostrophes), numbers,
//! `@mentions` (including Mastodon's `@user@host`), `#hashtags`, URLs, e-mail addresses, emoji
//! (whole sequences: skin tones, ZWJ families, flags, keycaps) and common ASCII emoticons.
//!
//! Zero-copy where possible: a token borrows from the input unless lowercasing or apostrophe
//! normalisation (`’` → `'`) changes it. Every token also carries its byte span in the input.
//! Other punctuation and symbols are dropped. Bad input never panics: any `&str` tokenizes.

use std::borrow::Cow;

/// What kind of thing a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Letters and digits, possibly with inner apostrophes (`don't`).
    Word,
    /// Digits, possibly with inner `.` or `,` (`3.5`, `1,000`).
    Number,
    /// `@handle` or `@user@host`, lowercased, with the `@`.
    Mention,
    /// `#tag`, lowercased, with the `#`.
    Hashtag,
    /// `http://…`, `https://…` or `www.…`, kept as written (paths are case-sensitive).
    Url,
    /// `name@example.com`, lowercased.
    Email,
    /// One emoji, including its modifiers and joiners (`👍🏽`, `👨‍👩‍👧`, `🇫🇷`).
    Emoji,
    /// A common ASCII emoticon written as its own word (`:)`, `:-(`, `<3`).
    Emoticon,
}

/// One token: its normalised text, kind and byte span in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    /// Lowercased text (URLs and emoticons as written); borrowed when nothing changed.
    pub text: Cow<'a, str>,
    pub kind: TokenKind,
    /// Byte offset of the token's first byte in the input.
    pub start: usize,
    /// Byte offset just past the token in the input.
    pub end: usize,
}

impl Token<'_> {
    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Tokenizes `text`; see the module docs for what becomes a token.
pub fn tokenize(text: &str) -> Tokens<'_> {
    Tokens {
        text,
        pos: 0,
        chunk_end: 0,
    }
}

/// Just the normalised token texts, in order.
pub fn words(text: &str) -> impl Iterator<Item = Cow<'_, str>> {
    tokenize(text).map(|t| t.text)
}

/// Emoticons recognised when written as a whitespace-separated word (trailing `.,!?` allowed).
const EMOTICONS: [&str; 30] = [
    ":)", ":-)", ":(", ":-(", ":D", ":-D", ";)", ";-)", ":P", ":-P", ":p", ":-p", ":/", ":-/",
    ":'(", ":|", ":-|", ":o", ":O", ":*", "<3", "</3", "xD", "XD", "=)", "=(", "^^", "^_^", "-_-",
    ":3",
];

/// Iterator over the tokens of a text.
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    text: &'a str,
    pos: usize,
    /// End of the whitespace-separated chunk `pos` is in (0 when `pos` starts a new chunk).
    chunk_end: usize,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let text = self.text;
        loop {
            if self.pos >= self.chunk_end {
                // Start a new whitespace-separated chunk.
                let rest = &text[self.pos..];
                let trimmed = rest.trim_start();
                if trimmed.is_empty() {
                    self.pos = text.len();
                    return None;
                }
                self.pos = text.len() - trimmed.len();
                self.chunk_end =
                    self.pos + trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
                if let Some(token) = self.whole_chunk_token() {
                    return Some(token);
                }
            }
            let start = self.pos;
            let chunk = &text[start..self.chunk_end];
            let mut chars = chunk.chars();
            let Some(first) = chars.next() else {
                continue;
            };
            if (first == '@' || first == '#')
                && let Some(next) = chars.next()
                && is_word_char(next)
            {
                let body_end = start + 1 + word_len(&chunk[1..], false);
                let mut end = body_end;
                let kind = if first == '@' {
                    // Mastodon: @user@host.example
                    let after = &text[body_end..self.chunk_end];
                    if let Some(host) = after.strip_prefix('@') {
                        let host_len = host_len(host);
                        if host_len > 0 {
                            end = body_end + 1 + host_len;
                        }
                    }
                    TokenKind::Mention
                } else {
                    TokenKind::Hashtag
                };
                self.pos = end;
                return Some(make(text, start, end, kind, true));
            }
            if is_word_char(first) {
                let end = start + word_len(chunk, true);
                self.pos = end;
                let slice = &text[start..end];
                let kind = if slice.bytes().next().is_some_and(|b| b.is_ascii_digit())
                    && slice
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
                {
                    TokenKind::Number
                } else {
                    TokenKind::Word
                };
                return Some(make(text, start, end, kind, true));
            }
            if is_emoji_start(first) {
                let end = start + emoji_len(chunk);
                self.pos = end;
                return Some(Token {
                    text: Cow::Borrowed(&text[start..end]),
                    kind: TokenKind::Emoji,
                    start,
                    end,
                });
            }
            self.pos = start + first.len_utf8();
        }
    }
}

impl<'a> Tokens<'a> {
    /// Tokens that span a whole chunk: URLs, e-mail addresses and emoticons.
    fn whole_chunk_token(&mut self) -> Option<Token<'a>> {
        let start = self.pos;
        let chunk = &self.text[start..self.chunk_end];
        let core = chunk.trim_end_matches(['.', ',', '!', '?', ';', ':', ')', '"', '\'']);
        let lower_prefix = |p: &str| {
            core.len() > p.len() && core.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
        };
        if lower_prefix("http://") || lower_prefix("https://") || lower_prefix("www.") {
            let end = start + core.len();
            self.pos = end;
            return Some(Token {
                text: Cow::Borrowed(core),
                kind: TokenKind::Url,
                start,
                end,
            });
        }
        if core.len() > 4 && core.as_bytes()[1..].contains(&b'@') && is_email(core) {
            let end = start + core.len();
            self.pos = end;
            return Some(make(self.text, start, end, TokenKind::Email, false));
        }
        if chunk.len() > 8
            || chunk
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric() && b != b'x' && b != b'X')
        {
            return None;
        }
        let emoticon = if EMOTICONS.contains(&chunk) {
            Some(chunk)
        } else {
            let stripped = chunk.trim_end_matches(['.', ',', '!', '?']);
            EMOTICONS.contains(&stripped).then_some(stripped)
        };
        if let Some(emoticon) = emoticon {
            let end = start + emoticon.len();
            self.pos = self.chunk_end;
            return Some(Token {
                text: Cow::Borrowed(emoticon),
                kind: TokenKind::Emoticon,
                start,
                end,
            });
        }
        None
    }
}

/// Builds a token from `text[start..end]`, lowercased (and `’` → `'` when `apostrophes`).
fn make(text: &str, start: usize, end: usize, kind: TokenKind, apostrophes: bool) -> Token<'_> {
    let slice = &text[start..end];
    let needs_change = if slice.is_ascii() {
        slice.bytes().any(|b| b.is_ascii_uppercase())
    } else {
        slice
            .chars()
            .any(|c| c.is_uppercase() || (apostrophes && c == '’'))
    };
    let text = if needs_change {
        let mut lower = slice.to_lowercase();
        if apostrophes && lower.contains('’') {
            lower = lower.replace('’', "'");
        }
        Cow::Owned(lower)
    } else {
        Cow::Borrowed(slice)
    };
    Token {
        text,
        kind,
        start,
        end,
    }
}

#[inline]
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Byte length of the word at the start of `s`: word characters, joined by single inner
/// apostrophes (and by `.`/`,` between digits when `inner_number_punct`).
fn word_len(s: &str, inner_number_punct: bool) -> usize {
    let mut end = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_word_char(c) {
            end = i + c.len_utf8();
            continue;
        }
        let joins = match c {
            '\'' | '’' => end == i && chars.peek().is_some_and(|(_, n)| n.is_alphanumeric()),
            '.' | ',' if inner_number_punct => {
                end == i
                    && s[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|p| p.is_ascii_digit())
                    && chars.peek().is_some_and(|(_, n)| n.is_ascii_digit())
            }
            _ => false,
        };
        if !joins {
            break;
        }
    }
    end
}

/// Byte length of a host name (`mastodon.social`) at the start of `s`.
fn host_len(s: &str) -> usize {
    let mut end = 0;
    for (i, c) in s.char_indices() {
        if c.is_alphanumeric() || c == '-' || (c == '.' && i > 0) {
            end = i + c.len_utf8();
        } else {
            break;
        }
    }
    // A host does not end with a dot.
    s[..end].trim_end_matches('.').len()
}

/// `local@domain.tld` with a non-empty local part and a dotted domain.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'))
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-'))
}

/// Characters that begin an emoji (Extended_Pictographic blocks and regional indicators).
#[inline]
fn is_emoji_start(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF
        | 0x2600..=0x27BF
        | 0x2300..=0x23FF
        | 0x2B00..=0x2BFF
        | 0x2190..=0x21FF
        | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0xA9 | 0xAE | 0x203C | 0x2049 | 0x2122 | 0x2139)
}

#[inline]
fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// Byte length of the emoji sequence at the start of `s` (which starts with an emoji).
fn emoji_len(s: &str) -> usize {
    let mut chars = s.char_indices().peekable();
    let Some((_, first)) = chars.next() else {
        return 0;
    };
    let mut end = first.len_utf8();
    if is_regional_indicator(first) {
        if let Some((i, c)) = chars.peek().copied()
            && is_regional_indicator(c)
        {
            return i + c.len_utf8();
        }
        return end;
    }
    while let Some((i, c)) = chars.next() {
        match c {
            // Variation selectors, skin tones, keycap, tag characters.
            '\u{FE0E}'
            | '\u{FE0F}'
            | '\u{1F3FB}'..='\u{1F3FF}'
            | '\u{20E3}'
            | '\u{E0020}'..='\u{E007F}' => end = i + c.len_utf8(),
            // Zero-width joiner: joins the next emoji into this one.
            '\u{200D}' => match chars.peek().copied() {
                Some((j, n)) if is_emoji_start(n) => {
                    chars.next();
                    end = j + n.len_utf8();
                }
                _ => break,
            },
            _ => break,
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, TokenKind)> {
        tokenize(text)
            .map(|t| (t.text.into_owned(), t.kind))
            .collect()
    }

    fn texts(text: &str) -> Vec<String> {
        words(text).map(Cow::into_owned).collect()
    }

    #[test]
    fn words_are_lowercased_and_punctuation_dropped() {
        assert_eq!(
            texts("Hello, World! It's GREAT."),
            ["hello", "world", "it's", "great"]
        );
    }

    #[test]
    fn apostrophes_join_only_inside_words() {
        assert_eq!(
            texts("don't 'quoted' it’s rock'n'roll"),
            ["don't", "quoted", "it's", "rock'n'roll"]
        );
    }

    #[test]
    fn mentions_hashtags_urls_and_emails() {
        use TokenKind::*;
        let got = pairs(
            "@SkyWay_Air #FailWhale see https://Example.com/A?b=1, mail Help@Shop.example or @bob@mastodon.social.",
        );
        assert_eq!(
            got,
            vec![
                ("@skyway_air".to_string(), Mention),
                ("#failwhale".to_string(), Hashtag),
                ("see".to_string(), Word),
                ("https://Example.com/A?b=1".to_string(), Url),
                ("mail".to_string(), Word),
                ("help@shop.example".to_string(), Email),
                ("or".to_string(), Word),
                ("@bob@mastodon.social".to_string(), Mention),
            ]
        );
    }

    #[test]
    fn numbers_keep_inner_separators() {
        use TokenKind::*;
        assert_eq!(
            pairs("flight 2291 took 3.5 hours, cost $1,000."),
            vec![
                ("flight".to_string(), Word),
                ("2291".to_string(), Number),
                ("took".to_string(), Word),
                ("3.5".to_string(), Number),
                ("hours".to_string(), Word),
                ("cost".to_string(), Word),
                ("1,000".to_string(), Number),
            ]
        );
    }

    #[test]
    fn emoji_sequences_are_single_tokens() {
        use TokenKind::*;
        assert_eq!(
            pairs("great👍🏽 family 👨‍👩‍👧 in 🇫🇷!! ❤️❤️"),
            vec![
                ("great".to_string(), Word),
                ("👍🏽".to_string(), Emoji),
                ("family".to_string(), Word),
                ("👨‍👩‍👧".to_string(), Emoji),
                ("in".to_string(), Word),
                ("🇫🇷".to_string(), Emoji),
                ("❤️".to_string(), Emoji),
                ("❤️".to_string(), Emoji),
            ]
        );
    }

    #[test]
    fn emoticons_are_recognised_as_whole_words() {
        use TokenKind::*;
        assert_eq!(
            pairs("thanks :) but :( <3."),
            vec![
                ("thanks".to_string(), Word),
                (":)".to_string(), Emoticon),
                ("but".to_string(), Word),
                (":(".to_string(), Emoticon),
                ("<3".to_string(), Emoticon),
            ]
        );
    }

    #[test]
    fn unchanged_tokens_borrow_from_the_input() {
        let text = "plain words #tag @who Mixed";
        let tokens: Vec<Token> = tokenize(text).collect();
        for token in &tokens[..4] {
            assert!(matches!(token.text, Cow::Borrowed(_)), "{token:?}");
        }
        assert!(matches!(tokens[4].text, Cow::Owned(_)));
        for token in &tokens {
            assert_eq!(
                text[token.start..token.end].to_lowercase(),
                token.text.as_ref()
            );
        }
    }

    #[test]
    fn unicode_words() {
        assert_eq!(
            texts("Größe ÜBER café naïve Ελλάδα 東京"),
            ["größe", "über", "café", "naïve", "ελλάδα", "東京"]
        );
    }

    #[test]
    fn degenerate_input_yields_nothing_or_no_panic() {
        for text in [
            "", " ", "@", "#", "@@", "##!!", "'", "’", "..", "http://", "a@", "@.x",
        ] {
            let _ = tokenize(text).count();
        }
        assert_eq!(tokenize("  !!  ?? ").count(), 0);
    }
}
