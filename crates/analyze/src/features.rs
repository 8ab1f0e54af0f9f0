//! Turns a post into hashed sparse features, once per post, shared by every model: normalised
//! word unigrams (negation-marked), bigrams, emoticons/emoji, punctuation and the VADER scores as
//! dense features. Each feature remembers where it came from so explanations can name it.
//!
//! The hash is our own (stable across crate upgrades): a model file stays valid as long as the
//! feature definitions here do not change, which the `FEATURES_VERSION` string records.

use switchyard_domain::{SmolStr, SmolStrBuilder, VaderScores};
use switchyard_text::ascii_runs::word_run;

/// Changes whenever tokenisation or feature definitions change; stored in every model file and
/// checked when a model is loaded.
pub const FEATURES_VERSION: &str = "feat-v1";

/// How many tokens a negation scope lasts at most (it also ends at clause punctuation).
const NEGATION_WINDOW: u8 = 4;

/// Emoticons recognised as tokens (checked longest first).
const EMOTICONS: [&str; 30] = [
    ":'-(", ":'(", ":-)", ":-(", ":-d", ":-p", ":-/", ";-)", ":)", ":(", ":d", ":p", ":/", ";)",
    "=)", "=(", ":]", ":[", ":o", ":|", "<3", "</3", ":*", ";d", "xd", ":))", ":((", "^_^", "-_-",
    ":@",
];

/// The kind of a token, which decides how it is hashed and named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A lower-cased word (apostrophes removed, long letter runs shortened).
    Word,
    /// A `#hashtag` (hashed as its word, so `#fail` and `fail` share a feature).
    Hashtag,
    /// An `@mention` (all mentions are one token, `<user>`).
    Mention,
    /// A link (all links are one token, `<url>`).
    Url,
    /// A number of digits only (all are one token, `<num>`).
    Number,
    /// An emoticon such as `:)` or an emoji / symbol character.
    Symbol,
    /// A run of `!` and/or `?`.
    Punct,
}

/// One token: its normalised text lives in `Features::text[start..end]`.
#[derive(Debug, Clone, Copy)]
pub struct Token {
    pub start: u32,
    pub end: u32,
    pub kind: TokenKind,
    pub negated: bool,
    pub all_caps: bool,
    pub(crate) hash: u64,
}

/// Where a feature came from, so an explanation can name it without storing strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Token `i` on its own.
    Unigram(u16),
    /// Token `i` inside a negation scope.
    Negated(u16),
    /// Tokens `i` and `i + 1` (`u16::MAX` as first means "start of post").
    Bigram(u16),
    /// A dense, named feature.
    Dense(Dense),
}

/// The dense features every post gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Dense {
    VaderCompound,
    VaderPositive,
    VaderNegative,
    VaderNeutral,
    VaderSaysPositive,
    VaderSaysNegative,
    Exclamations,
    QuestionMark,
    AllCapsWords,
    Short,
    Medium,
    Long,
    HasLink,
    Mentions,
    StartsWithMention,
    Bias,
}

impl Dense {
    /// The readable name used in explanations.
    pub fn name(self) -> &'static str {
        match self {
            Dense::VaderCompound => "VADER compound",
            Dense::VaderPositive => "VADER positive share",
            Dense::VaderNegative => "VADER negative share",
            Dense::VaderNeutral => "VADER neutral share",
            Dense::VaderSaysPositive => "VADER says positive",
            Dense::VaderSaysNegative => "VADER says negative",
            Dense::Exclamations => "exclamation marks",
            Dense::QuestionMark => "question mark",
            Dense::AllCapsWords => "ALL-CAPS words",
            Dense::Short => "short post (≤ 6 tokens)",
            Dense::Medium => "medium post (7–20 tokens)",
            Dense::Long => "long post (> 20 tokens)",
            Dense::HasLink => "has a link",
            Dense::Mentions => "@mentions",
            Dense::StartsWithMention => "starts with an @mention",
            Dense::Bias => "bias",
        }
    }
}

/// One hashed feature: a 64-bit hash (each model keeps its own low bits), a value, its origin.
#[derive(Debug, Clone, Copy)]
pub struct Feature {
    pub hash: u64,
    pub value: f32,
    pub origin: Origin,
}

/// Reusable scratch space holding one post's tokens and features.
#[derive(Debug, Default, Clone)]
pub struct Features {
    /// Normalised token texts, concatenated.
    pub text: String,
    pub tokens: Vec<Token>,
    pub items: Vec<Feature>,
    /// Where in `items` the bias feature is (explanations leave it out).
    pub(crate) bias: Option<usize>,
}

pub(crate) const SEED_WORD: u64 = 0x9E37_79B9_7F4A_7C15;
const SEED_NEGATED: u64 = 0xC2B2_AE3D_27D4_EB4F;
const SEED_BIGRAM: u64 = 0x1656_67B1_9E37_79F9;
const SEED_DENSE: u64 = 0x27D4_EB2F_1656_67C5;
const START_HASH: u64 = 0x85EB_CA77_C2B2_AE63;
const MULTIPLIER: u64 = 0xFF51_AFD7_ED55_8CCD;

/// Final avalanche (murmur3's fmix64).
#[inline]
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(MULTIPLIER);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^= h >> 33;
    h
}

/// A stable 64-bit hash of bytes (8 bytes at a time, then mixed).
#[inline]
pub fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(MULTIPLIER);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word))
            .wrapping_mul(MULTIPLIER)
            .rotate_left(31);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(word))
            .wrapping_mul(MULTIPLIER)
            .rotate_left(31);
    }
    mix(h)
}

/// Whether `word` opens a negation scope (apostrophes are removed before lookup, so `don't` →
/// `dont`). A `match` on the bytes: the compiler dispatches on the length first, where a scan of
/// a list compared every short word up to 36 times.
fn is_negator(word: &str) -> bool {
    matches!(
        word.as_bytes(),
        b"not"
            | b"no"
            | b"never"
            | b"nothing"
            | b"nobody"
            | b"none"
            | b"nowhere"
            | b"neither"
            | b"nor"
            | b"cannot"
            | b"cant"
            | b"dont"
            | b"doesnt"
            | b"didnt"
            | b"isnt"
            | b"arent"
            | b"wasnt"
            | b"werent"
            | b"wont"
            | b"wouldnt"
            | b"shouldnt"
            | b"couldnt"
            | b"havent"
            | b"hasnt"
            | b"hadnt"
            | b"aint"
            | b"without"
            | b"mustnt"
            | b"neednt"
            | b"darent"
            | b"mightnt"
            | b"shant"
            | b"lack"
            | b"lacks"
            | b"lacking"
            | b"barely"
    )
}

/// Characters that close a clause (and a negation scope).
fn is_clause_end(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | ';' | ':' | '!' | '?' | '\n' | '(' | ')' | '"'
    )
}

/// Characters dropped silently: variation selectors, joiners, skin-tone modifiers.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{FE0E}' | '\u{FE0F}' | '\u{200D}' | '\u{200B}' | '\u{1F3FB}'..='\u{1F3FF}'
    )
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

impl Features {
    /// Empty scratch space.
    pub fn new() -> Features {
        Features::default()
    }

    /// The normalised text of token `i`.
    pub fn token_text(&self, i: usize) -> &str {
        let token = self.tokens[i];
        &self.text[token.start as usize..token.end as usize]
    }

    /// Tokenises `text` and fills `items` with every feature of the post.
    pub fn extract(&mut self, text: &str, vader: &VaderScores) {
        self.clear();
        self.tokenize(text);
        self.push_token_features();
        self.push_dense_features(vader);
    }

    /// Forgets the previous post (buffers keep their capacity).
    fn clear(&mut self) {
        self.text.clear();
        self.tokens.clear();
        self.items.clear();
        self.bias = None;
    }

    fn push_token(&mut self, start: usize, kind: TokenKind, negated: bool, all_caps: bool) {
        let end = self.text.len();
        let bytes = &self.text.as_bytes()[start..end];
        let hash = hash_bytes(SEED_WORD, bytes);
        self.tokens.push(Token {
            start: start as u32,
            end: end as u32,
            kind,
            negated,
            all_caps,
            hash,
        });
    }

    fn tokenize(&mut self, text: &str) {
        let mut negation_left: u8 = 0;
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if self.tokens.len() >= u16::MAX as usize - 1 {
                return;
            }
            if c.is_whitespace() || is_invisible(c) {
                rest = &rest[c.len_utf8()..];
                continue;
            }
            // Links.
            if c == 'h' || c == 'H' || c == 'w' || c == 'W' {
                let is_link = starts_with_ignore_case(rest, "http://")
                    || starts_with_ignore_case(rest, "https://")
                    || starts_with_ignore_case(rest, "www.");
                if is_link {
                    let len = rest.find(char::is_whitespace).unwrap_or(rest.len());
                    rest = &rest[len..];
                    let start = self.text.len();
                    self.text.push_str("<url>");
                    self.push_token(start, TokenKind::Url, false, false);
                    continue;
                }
            }
            // Mentions and hashtags.
            if (c == '@' || c == '#') && rest[1..].chars().next().is_some_and(is_word_char) {
                let body = &rest[1..];
                let len = body
                    .find(|ch: char| !is_word_char(ch))
                    .unwrap_or(body.len());
                let word = &body[..len];
                rest = &body[len..];
                let start = self.text.len();
                if c == '@' {
                    self.text.push_str("<user>");
                    self.push_token(start, TokenKind::Mention, false, false);
                } else {
                    push_normalised_word(&mut self.text, word);
                    let negated = negation_left > 0;
                    negation_left = negation_left.saturating_sub(1);
                    self.push_token(start, TokenKind::Hashtag, negated, false);
                }
                continue;
            }
            // Emoticons.
            if matches!(c, ':' | ';' | '=' | '<' | 'x' | 'X' | '^' | '-') {
                let found = EMOTICONS
                    .iter()
                    .filter(|e| starts_with_ignore_case(rest, e))
                    .max_by_key(|e| e.len());
                if let Some(emoticon) = found {
                    let after = &rest[emoticon.len()..];
                    let standalone = after.chars().next().is_none_or(|n| !n.is_alphanumeric());
                    let alpha = emoticon.chars().all(char::is_alphanumeric);
                    if standalone && !alpha {
                        rest = after;
                        let start = self.text.len();
                        self.text.push_str(emoticon);
                        self.push_token(start, TokenKind::Symbol, false, false);
                        continue;
                    }
                }
            }
            // Words.
            if is_word_char(c) {
                let len = word_len(rest);
                let word = &rest[..len];
                rest = &rest[len..];
                let start = self.text.len();
                push_normalised_word(&mut self.text, word);
                let normalised = &self.text[start..];
                let all_digits = normalised.bytes().all(|b| b.is_ascii_digit());
                if all_digits {
                    self.text.truncate(start);
                    self.text.push_str("<num>");
                    self.push_token(start, TokenKind::Number, false, false);
                    continue;
                }
                let all_caps = is_all_caps(word);
                let opens_negation = is_negator(&self.text[start..]);
                let negated = negation_left > 0;
                negation_left = negation_left.saturating_sub(1);
                self.push_token(start, TokenKind::Word, negated, all_caps);
                if opens_negation {
                    negation_left = NEGATION_WINDOW;
                }
                continue;
            }
            // ! and ? runs.
            if c == '!' || c == '?' {
                let len = rest.find(|ch| ch != '!' && ch != '?').unwrap_or(rest.len());
                let run = &rest[..len];
                rest = &rest[len..];
                let start = self.text.len();
                let has_bang = run.contains('!');
                let has_question = run.contains('?');
                match (has_bang, has_question) {
                    (true, true) => self.text.push_str("?!"),
                    (true, false) if run.len() > 1 => self.text.push_str("!!"),
                    (true, false) => self.text.push('!'),
                    _ => self.text.push('?'),
                }
                self.push_token(start, TokenKind::Punct, false, false);
                negation_left = 0;
                continue;
            }
            rest = &rest[c.len_utf8()..];
            if is_clause_end(c) {
                negation_left = 0;
                continue;
            }
            // Emoji and other symbols: one token per character.
            if !c.is_ascii() {
                let start = self.text.len();
                self.text.push(c);
                self.push_token(start, TokenKind::Symbol, false, false);
            }
        }
    }

    fn push_token_features(&mut self) {
        let mut previous = START_HASH;
        let mut previous_index = u16::MAX;
        for (i, token) in self.tokens.iter().enumerate() {
            let index = i as u16;
            let (seed, origin) = if token.negated {
                (SEED_NEGATED, Origin::Negated(index))
            } else {
                (0, Origin::Unigram(index))
            };
            self.items.push(Feature {
                hash: mix(token.hash ^ seed),
                value: 1.0,
                origin,
            });
            self.items.push(Feature {
                hash: mix(previous.wrapping_mul(31) ^ token.hash ^ SEED_BIGRAM),
                value: 1.0,
                origin: Origin::Bigram(previous_index),
            });
            previous = token.hash;
            previous_index = index;
        }
        // Length normalisation: token features share a unit L2 norm, like TF-IDF's.
        if !self.items.is_empty() {
            let value = 1.0 / (self.items.len() as f32).sqrt() * 3.0;
            for item in &mut self.items {
                item.value = value;
            }
        }
    }

    fn push_dense(&mut self, which: Dense, value: f32) {
        if value == 0.0 {
            return;
        }
        self.items.push(Feature {
            hash: mix(SEED_DENSE ^ (which as u64 + 1).wrapping_mul(MULTIPLIER)),
            value,
            origin: Origin::Dense(which),
        });
    }

    fn push_dense_features(&mut self, vader: &VaderScores) {
        self.bias = Some(self.items.len());
        self.push_dense(Dense::Bias, 1.0);
        self.push_dense(Dense::VaderCompound, vader.compound as f32);
        self.push_dense(Dense::VaderPositive, vader.pos as f32);
        self.push_dense(Dense::VaderNegative, vader.neg as f32);
        self.push_dense(Dense::VaderNeutral, vader.neu as f32);
        self.push_dense(
            Dense::VaderSaysPositive,
            f32::from(u8::from(vader.compound >= 0.05)),
        );
        self.push_dense(
            Dense::VaderSaysNegative,
            f32::from(u8::from(vader.compound <= -0.05)),
        );
        let mut exclamations = 0u32;
        let mut question = false;
        let mut caps = 0u32;
        let mut mentions = 0u32;
        let mut link = false;
        for token in &self.tokens {
            match token.kind {
                TokenKind::Punct => {
                    let text = &self.text[token.start as usize..token.end as usize];
                    exclamations += u32::from(text.contains('!'));
                    question |= text.contains('?');
                }
                TokenKind::Mention => mentions += 1,
                TokenKind::Url => link = true,
                _ => {}
            }
            caps += u32::from(token.all_caps);
        }
        self.push_dense(Dense::Exclamations, exclamations.min(3) as f32 / 3.0);
        self.push_dense(Dense::QuestionMark, f32::from(u8::from(question)));
        self.push_dense(Dense::AllCapsWords, caps.min(3) as f32 / 3.0);
        let words = self
            .tokens
            .iter()
            .filter(|t| matches!(t.kind, TokenKind::Word | TokenKind::Hashtag))
            .count();
        let length = match words {
            0..=6 => Dense::Short,
            7..=20 => Dense::Medium,
            _ => Dense::Long,
        };
        self.push_dense(length, 1.0);
        self.push_dense(Dense::HasLink, f32::from(u8::from(link)));
        self.push_dense(Dense::Mentions, mentions.min(3) as f32 / 3.0);
        let starts_with_mention = self
            .tokens
            .first()
            .is_some_and(|t| t.kind == TokenKind::Mention);
        self.push_dense(
            Dense::StartsWithMention,
            f32::from(u8::from(starts_with_mention)),
        );
    }

    /// The unigram feature hashes (plain, inside a negation scope) that `word` gets when it
    /// stands in a post as one word token, or `None` when it is not one word (a number, a link,
    /// several words…). Lets outside word lists (the toxicity prior) address the same buckets.
    pub fn word_hashes(&mut self, word: &str) -> Option<(u64, u64)> {
        self.clear();
        self.tokenize(word);
        match self.tokens.as_slice() {
            [token] if matches!(token.kind, TokenKind::Word | TokenKind::Hashtag) => {
                Some((mix(token.hash), mix(token.hash ^ SEED_NEGATED)))
            }
            _ => None,
        }
    }

    /// A readable name for a feature, for explanations (`"no response"`, `"not …helpful"`).
    /// Names of up to 23 bytes (most words and word pairs) are kept inline, without allocating;
    /// the fixed names are static.
    pub fn name(&self, origin: Origin) -> SmolStr {
        match origin {
            Origin::Unigram(i) => SmolStr::new(self.token_text(i as usize)),
            Origin::Negated(i) => {
                let mut name = SmolStrBuilder::new();
                name.push_str("not …");
                name.push_str(self.token_text(i as usize));
                name.finish()
            }
            Origin::Bigram(first) => {
                let second = if first == u16::MAX {
                    0
                } else {
                    first as usize + 1
                };
                let second_text = self
                    .tokens
                    .get(second)
                    .map_or("", |_| self.token_text(second));
                let mut name = SmolStrBuilder::new();
                if first == u16::MAX {
                    name.push_str("starts with \"");
                    name.push_str(second_text);
                    name.push('"');
                } else {
                    name.push_str(self.token_text(first as usize));
                    name.push(' ');
                    name.push_str(second_text);
                }
                name.finish()
            }
            Origin::Dense(which) => SmolStr::new_static(which.name()),
        }
    }
}

/// Whether `text` starts with the ASCII pattern `pattern`, ignoring ASCII case.
fn starts_with_ignore_case(text: &str, pattern: &str) -> bool {
    text.len() >= pattern.len()
        && text.as_bytes()[..pattern.len()].eq_ignore_ascii_case(pattern.as_bytes())
}

/// Length in bytes of the word at the start of `text`: word characters, with apostrophes inside.
/// Words of ASCII letters, digits, `_` and `'` (nearly all) are measured on bytes; at the first
/// non-ASCII byte the word is measured again by [`unicode_word_len`], which decides the same way.
fn word_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    loop {
        // Letters, digits and `_`, eight bytes at a time.
        i += word_run(&bytes[i..]);
        match bytes.get(i) {
            Some(b'\'') => match bytes.get(i + 1) {
                Some(next) if next.is_ascii_alphabetic() => i += 1,
                Some(next) if !next.is_ascii() => return unicode_word_len(text),
                _ => return i,
            },
            Some(byte) if !byte.is_ascii() => return unicode_word_len(text),
            _ => return i,
        }
    }
}

/// Whether `word` has at least two letters and no lower-case one (`LATE`, `OMG2`).
fn is_all_caps(word: &str) -> bool {
    if word.is_ascii() {
        let bytes = word.as_bytes();
        let letters = bytes.iter().filter(|b| b.is_ascii_alphabetic()).count();
        letters >= 2 && !bytes.iter().any(u8::is_ascii_lowercase)
    } else {
        let letters = word.chars().filter(|ch| ch.is_alphabetic()).count();
        letters >= 2 && !word.chars().any(char::is_lowercase)
    }
}

/// [`word_len`] over `char`s, for words with non-ASCII characters.
fn unicode_word_len(text: &str) -> usize {
    let mut end = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_word_char(c) {
            end = i + c.len_utf8();
            continue;
        }
        if is_apostrophe(c) && chars.peek().is_some_and(|(_, n)| n.is_alphabetic()) {
            continue;
        }
        break;
    }
    end
}

/// Appends `word` lower-cased, without apostrophes, with runs of 3+ equal letters cut to 2.
fn push_normalised_word(out: &mut String, word: &str) {
    if word.is_ascii() {
        // Most words: the same rules on bytes, without Unicode case tables, pushed one by one
        // (an ASCII `char` is one byte: no UTF-8 check, no copy through a buffer).
        out.reserve(word.len());
        let lowered = word
            .bytes()
            .filter(|b| *b != b'\'')
            .map(|b| b.to_ascii_lowercase());
        for_each_shortened(lowered, |byte| out.push(char::from(byte)));
    } else {
        let lowered = word
            .chars()
            .filter(|c| !is_apostrophe(*c))
            .flat_map(char::to_lowercase);
        for_each_shortened(lowered, |c| out.push(c));
    }
}

/// Calls `push` on `items` with runs of 3+ equal items cut to 2.
#[inline]
fn for_each_shortened<T: Copy + PartialEq>(
    items: impl Iterator<Item = T>,
    mut push: impl FnMut(T),
) {
    let mut last = None;
    let mut run = 0u32;
    for item in items {
        if last == Some(item) {
            run += 1;
        } else {
            last = Some(item);
            run = 1;
        }
        if run <= 2 {
            push(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_hashes_address_the_unigram_features_of_that_word_in_a_post() {
        let mut features = Features::new();
        let (plain, negated) = features.word_hashes("Idiots").expect("one word");
        let unigrams = |features: &Features| -> Vec<u64> {
            features
                .items
                .iter()
                .filter(|f| matches!(f.origin, Origin::Unigram(_) | Origin::Negated(_)))
                .map(|f| f.hash)
                .collect()
        };
        features.extract("you idiots!!", &VaderScores::default());
        assert!(unigrams(&features).contains(&plain));
        assert!(!unigrams(&features).contains(&negated));
        features.extract("they are not idiots", &VaderScores::default());
        assert!(unigrams(&features).contains(&negated));
        assert!(!unigrams(&features).contains(&plain));
        // A hashtag shares its word's features.
        assert_eq!(features.word_hashes("#idiots"), Some((plain, negated)));
        for not_one_word in ["", "two words", "123", "https://x.y", "@user", ":)"] {
            assert_eq!(features.word_hashes(not_one_word), None, "{not_one_word:?}");
        }
    }

    fn tokens(text: &str) -> Vec<String> {
        let mut features = Features::new();
        features.extract(text, &VaderScores::default());
        (0..features.tokens.len())
            .map(|i| {
                let t = features.tokens[i];
                let prefix = if t.negated { "NOT_" } else { "" };
                format!("{prefix}{}", features.token_text(i))
            })
            .collect()
    }

    #[test]
    fn normalises_mentions_links_numbers_and_elongation() {
        assert_eq!(
            tokens("@United Sooooo LATE!!! see https://t.co/x 3 hours #fail :("),
            [
                "<user>", "soo", "late", "!!", "see", "<url>", "<num>", "hours", "fail", ":("
            ]
        );
    }

    #[test]
    fn marks_negation_until_clause_end() {
        assert_eq!(
            tokens("I don't like the seats, but ok"),
            ["i", "dont", "NOT_like", "NOT_the", "NOT_seats", "but", "ok"]
        );
    }

    #[test]
    fn keeps_emoji_as_tokens() {
        assert_eq!(tokens("love it 😍🔥"), ["love", "it", "😍", "🔥"]);
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "",
            "@",
            "#",
            "http",
            "h",
            "x",
            "::::",
            "’’’",
            "\u{FE0F}",
            "@#@#",
        ] {
            let mut features = Features::new();
            features.extract(text, &VaderScores::default());
            assert!(
                features
                    .items
                    .iter()
                    .any(|f| f.origin == Origin::Dense(Dense::Bias))
            );
        }
    }

    #[test]
    fn names_features_readably() {
        let mut features = Features::new();
        features.extract("no response yet", &VaderScores::default());
        let names: Vec<String> = features
            .items
            .iter()
            .map(|f| features.name(f.origin).to_string())
            .collect();
        assert!(names.contains(&"no response".to_string()), "{names:?}");
        assert!(names.contains(&"not …response".to_string()), "{names:?}");
        assert!(
            names.contains(&"starts with \"no\"".to_string()),
            "{names:?}"
        );
    }

    #[test]
    fn ascii_word_lengths_match_the_unicode_rules() {
        // Generated words from a small alphabet that covers every branch: letters, digits, `_`,
        // both apostrophes, non-ASCII letters and symbols, spaces and punctuation.
        let alphabet = [
            "a", "Z", "7", "_", "'", "\u{2019}", "é", "ß", "😀", " ", ".", "-", "#", "b",
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut words = 0;
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..next() % 9 {
                text.push_str(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            words += usize::from(word_len(&text) > 0);
            assert_eq!(word_len(&text), unicode_word_len(&text), "{text:?}");
            let word = &text[..word_len(&text)];
            let letters = word.chars().filter(|ch| ch.is_alphabetic()).count();
            let all_caps = letters >= 2 && !word.chars().any(char::is_lowercase);
            assert_eq!(is_all_caps(word), all_caps, "{word:?}");
        }
        assert!(
            words > 5_000,
            "only {words} generated texts start with a word"
        );
    }

    #[test]
    fn hash_is_stable() {
        assert_eq!(
            hash_bytes(SEED_WORD, b"delayed"),
            hash_bytes(SEED_WORD, b"delayed")
        );
        assert_ne!(
            hash_bytes(SEED_WORD, b"delayed"),
            hash_bytes(SEED_WORD, b"delay")
        );
    }
}
