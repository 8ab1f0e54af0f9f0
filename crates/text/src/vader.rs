//! VADER sentiment, a faithful Rust port of cjhutto/vaderSentiment's `vaderSentiment.py` at
//! commit 44fc044c (the code that produced the published reference scores).
//!
//! Every rule of the reference is reproduced, including its quirks: the punctuation stripping of
//! `_strip_punc_if_word`, emoji-to-description substitution (single code points only, no space
//! after the description), boosters and dampeners with ALL-CAPS emphasis, the three-word negation
//! window with "never so/this" and "without doubt", the 3.3.x "no" rules, "least", the special-case
//! idioms, the contrastive "but" (including `list.index` picking the first equal score), `!` and `?`
//! amplification, and Python's correctly rounded `round()`. Differences from PyPI's
//! vaderSentiment 3.3.2: the special cases "beating heart" (3.1, PyPI 3.5) and "broken heart"
//! (−2.9, absent from PyPI), exactly as at the reference commit.
//!
//! The lexicons (MIT, see `data/LICENSE.txt`) are compiled in and parsed once per process.
//! The hot path does one hash lookup per token, allocates two small buffers per call and uses no
//! regular expressions.

use crate::ascii_runs::{is_space_byte, non_space_run};
use crate::word_map::WordMap;
use rustc_hash::FxHashMap;
use std::sync::LazyLock;
use switchyard_domain::{RoundHalfAway, VaderScores};

/// Empirically derived mean intensity increase for booster words.
const B_INCR: f64 = 0.293;
/// Empirically derived mean intensity decrease for dampener words.
const B_DECR: f64 = -0.293;
/// Increase for a sentiment word written in ALL CAPS while others are not.
const C_INCR: f64 = 0.733;
/// Factor applied to a negated sentiment word.
const N_SCALAR: f64 = -0.74;

/// The VADER lexicon as published (token, mean valence, std dev, ratings).
pub const LEXICON_TEXT: &str = include_str!("../data/vader_lexicon.txt");
/// The emoji lexicon as published (emoji, textual description).
pub const EMOJI_LEXICON_TEXT: &str = include_str!("../data/emoji_utf8_lexicon.txt");

const NEGATE: [&str; 59] = [
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

/// Single-word boosters and dampeners. The reference's two-word entries ("just enough",
/// "kind of", "sort of") can only match as n-grams and are handled in [`booster_bigram`].
const BOOSTERS: [(&str, f64); 80] = [
    ("absolutely", B_INCR),
    ("amazingly", B_INCR),
    ("awfully", B_INCR),
    ("completely", B_INCR),
    ("considerable", B_INCR),
    ("considerably", B_INCR),
    ("decidedly", B_INCR),
    ("deeply", B_INCR),
    ("effing", B_INCR),
    ("enormous", B_INCR),
    ("enormously", B_INCR),
    ("entirely", B_INCR),
    ("especially", B_INCR),
    ("exceptional", B_INCR),
    ("exceptionally", B_INCR),
    ("extreme", B_INCR),
    ("extremely", B_INCR),
    ("fabulously", B_INCR),
    ("flipping", B_INCR),
    ("flippin", B_INCR),
    ("frackin", B_INCR),
    ("fracking", B_INCR),
    ("fricking", B_INCR),
    ("frickin", B_INCR),
    ("frigging", B_INCR),
    ("friggin", B_INCR),
    ("fully", B_INCR),
    ("fuckin", B_INCR),
    ("fucking", B_INCR),
    ("fuggin", B_INCR),
    ("fugging", B_INCR),
    ("greatly", B_INCR),
    ("hella", B_INCR),
    ("highly", B_INCR),
    ("hugely", B_INCR),
    ("incredible", B_INCR),
    ("incredibly", B_INCR),
    ("intensely", B_INCR),
    ("major", B_INCR),
    ("majorly", B_INCR),
    ("more", B_INCR),
    ("most", B_INCR),
    ("particularly", B_INCR),
    ("purely", B_INCR),
    ("quite", B_INCR),
    ("really", B_INCR),
    ("remarkably", B_INCR),
    ("so", B_INCR),
    ("substantially", B_INCR),
    ("thoroughly", B_INCR),
    ("total", B_INCR),
    ("totally", B_INCR),
    ("tremendous", B_INCR),
    ("tremendously", B_INCR),
    ("uber", B_INCR),
    ("unbelievably", B_INCR),
    ("unusually", B_INCR),
    ("utter", B_INCR),
    ("utterly", B_INCR),
    ("very", B_INCR),
    ("almost", B_DECR),
    ("barely", B_DECR),
    ("hardly", B_DECR),
    ("kinda", B_DECR),
    ("kindof", B_DECR),
    ("kind-of", B_DECR),
    ("less", B_DECR),
    ("little", B_DECR),
    ("marginal", B_DECR),
    ("marginally", B_DECR),
    ("occasional", B_DECR),
    ("occasionally", B_DECR),
    ("partly", B_DECR),
    ("scarce", B_DECR),
    ("scarcely", B_DECR),
    ("slight", B_DECR),
    ("slightly", B_DECR),
    ("somewhat", B_DECR),
    ("sorta", B_DECR),
    ("sortof", B_DECR),
];

/// The two-word booster entries of the reference's `BOOSTER_DICT` ("just enough", "kind of",
/// "sort of"), which it checks against the preceding word pairs of a lexicon word.
fn booster_bigram(first: &str, second: &str) -> Option<f64> {
    match (first, second) {
        ("just", "enough") | ("kind", "of") | ("sort", "of") => Some(B_DECR),
        _ => None,
    }
}

/// The reference's `SPECIAL_CASES` two-word idioms.
fn special_case2(first: &str, second: &str) -> Option<f64> {
    match (first, second) {
        ("the", "shit") | ("the", "bomb") => Some(3.0),
        ("bad", "ass") => Some(1.5),
        ("bus", "stop") => Some(0.0),
        ("yeah", "right") => Some(-2.0),
        ("beating", "heart") => Some(3.1),
        ("broken", "heart") => Some(-2.9),
        _ => None,
    }
}

/// The reference's `SPECIAL_CASES` three-word idioms.
fn special_case3(first: &str, second: &str, third: &str) -> Option<f64> {
    match (first, second, third) {
        ("kiss", "of", "death") => Some(-1.5),
        ("to", "die", "for") => Some(3.0),
        _ => None,
    }
}

/// What the tables know about one lowercase token.
#[derive(Debug, Clone, Copy, Default)]
struct WordInfo {
    /// Lexicon valence, if the token is in the VADER lexicon.
    valence: Option<f64>,
    /// Booster (positive) or dampener (negative) increment.
    booster: Option<f64>,
    /// Whether the token is one of the reference's `NEGATE` words.
    negation: bool,
}

/// The parsed lexicons, built once per process.
struct Tables {
    words: WordMap<WordInfo>,
    emojis: FxHashMap<char, &'static str>,
    lexicon_entries: usize,
}

static TABLES: LazyLock<Tables> = LazyLock::new(Tables::build);

impl Tables {
    fn build() -> Tables {
        let mut words: WordMap<WordInfo> = WordMap::default();
        let mut lexicon_entries = 0;
        // make_lex_dict: rstrip('\n'), split('\n'), skip empty, strip(), split('\t')[0:2].
        for line in LEXICON_TEXT.trim_end_matches('\n').split('\n') {
            if line.is_empty() {
                continue;
            }
            let mut fields = py_strip(line).split('\t');
            let (Some(word), Some(measure)) = (fields.next(), fields.next()) else {
                continue;
            };
            let Ok(measure) = measure.parse::<f64>() else {
                continue;
            };
            let entry = words.entry_or_default(word);
            if entry.valence.is_none() {
                lexicon_entries += 1;
            }
            entry.valence = Some(measure);
        }
        for (word, increment) in BOOSTERS {
            words.entry_or_default(word).booster = Some(increment);
        }
        for word in NEGATE {
            words.entry_or_default(word).negation = true;
        }
        let mut emojis = FxHashMap::default();
        for line in EMOJI_LEXICON_TEXT.trim_end_matches('\n').split('\n') {
            let mut fields = py_strip(line).split('\t');
            let (Some(emoji), Some(description)) = (fields.next(), fields.next()) else {
                continue;
            };
            // The reference walks the text one code point at a time, so only single-code-point
            // keys can ever match.
            let mut chars = emoji.chars();
            if let (Some(only), None) = (chars.next(), chars.next()) {
                emojis.insert(only, description);
            }
        }
        Tables {
            words,
            emojis,
            lexicon_entries,
        }
    }
}

/// Python's `str.isspace()` (what `str.split()` and `str.strip()` use): Unicode White_Space plus
/// the ASCII information separators U+001C..U+001F.
#[inline]
pub(crate) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.split()` with no arguments: the non-empty runs between whitespace. ASCII text
/// (nearly every post) is cut eight bytes at a time ([`non_space_run`]), the rest by characters;
/// both use Python's whitespace.
fn py_split(text: &str) -> PySplit<'_> {
    PySplit {
        text,
        at: 0,
        ascii: text.is_ascii(),
    }
}

/// The iterator of [`py_split`].
struct PySplit<'a> {
    text: &'a str,
    at: usize,
    ascii: bool,
}

impl<'a> Iterator for PySplit<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.text.get(self.at..)?;
        let (start, len) = if self.ascii {
            let bytes = rest.as_bytes();
            let start = bytes.iter().position(|b| !is_space_byte(*b))?;
            (start, non_space_run(&bytes[start..]))
        } else {
            let start = rest.find(|c| !is_py_space(c))?;
            let word = &rest[start..];
            (start, word.find(is_py_space).unwrap_or(word.len()))
        };
        let word = &rest[start..start + len];
        self.at += start + len;
        Some(word)
    }
}

/// Python's `str.strip()` with no arguments.
#[inline]
pub(crate) fn py_strip(text: &str) -> &str {
    text.trim_matches(is_py_space)
}

/// Unicode titlecase letters (general category Lt), which make Python's `isupper()` false.
fn is_titlecase(c: char) -> bool {
    matches!(c,
        '\u{01C5}' | '\u{01C8}' | '\u{01CB}' | '\u{01F2}'
        | '\u{1F88}'..='\u{1F8F}'
        | '\u{1F98}'..='\u{1F9F}'
        | '\u{1FA8}'..='\u{1FAF}'
        | '\u{1FBC}' | '\u{1FCC}' | '\u{1FFC}')
}

/// Python's `str.isupper()`: no lowercase or titlecase character and at least one uppercase one.
fn py_isupper(token: &str) -> bool {
    if token.is_ascii() {
        let bytes = token.as_bytes();
        return bytes.iter().any(u8::is_ascii_uppercase)
            && !bytes.iter().any(u8::is_ascii_lowercase);
    }
    let mut cased = false;
    for c in token.chars() {
        if c.is_lowercase() || is_titlecase(c) {
            return false;
        }
        if c.is_uppercase() {
            cased = true;
        }
    }
    cased
}

/// The reference's `_strip_punc_if_word`: strip ASCII punctuation from both ends, but keep the
/// token as it was when two or fewer characters would remain (emoticons such as `:)`).
#[inline]
fn strip_punc_if_word(token: &str) -> &str {
    let stripped = token.trim_matches(|c: char| c.is_ascii_punctuation());
    let short = if stripped.is_ascii() {
        stripped.len() <= 2
    } else {
        stripped.chars().nth(2).is_none()
    };
    if short { token } else { stripped }
}

/// Python's `round(x, digits)`: the double nearest to the correctly rounded decimal (ties to
/// even on the exact binary value).
pub(crate) fn py_round(x: f64, digits: i32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits);
    let scaled = x * scale;
    let fraction = (scaled - scaled.trunc()).abs();
    if (fraction - 0.5).abs() > 1e-6 && scaled.abs() < 1e15 {
        return scaled.round_half_away() / scale;
    }
    // Close to a tie: let the exact decimal formatter decide, as CPython's dtoa does.
    let formatted = format!("{:.*}", digits as usize, x);
    formatted.parse().unwrap_or(x)
}

/// One token of a text, with everything the rules ask about it.
#[derive(Debug, Clone, Copy)]
struct Token {
    /// Byte range of the lowercase form in the per-call lowercase buffer.
    lower_start: u32,
    lower_end: u32,
    info: WordInfo,
    is_upper: bool,
}

/// One token's final valence, as VADER summed it.
#[derive(Debug, Clone, PartialEq)]
pub struct WordValence {
    pub word: String,
    pub valence: f64,
}

/// Scores with the per-token valences that produced them.
#[derive(Debug, Clone, PartialEq)]
pub struct VaderDetails {
    pub scores: VaderScores,
    /// Tokens with a non-zero valence, in text order.
    pub contributions: Vec<WordValence>,
}

/// The VADER analyser. Cheap to create and copy: the lexicons are parsed once per process and
/// shared.
#[derive(Debug, Clone, Copy)]
pub struct Vader {
    tables: &'static Tables,
}

impl std::fmt::Debug for Tables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tables")
            .field("words", &self.words.len())
            .field("emojis", &self.emojis.len())
            .finish()
    }
}

impl Default for Vader {
    fn default() -> Self {
        Vader::new()
    }
}

impl Vader {
    /// The analyser over the embedded lexicons (parsed on first use, about a millisecond).
    pub fn new() -> Vader {
        Vader { tables: &TABLES }
    }

    /// Number of distinct entries in the VADER lexicon (7,506: the file has 7,520 lines, some
    /// repeated; as in the reference, the last one wins).
    pub fn lexicon_len(&self) -> usize {
        self.tables.lexicon_entries
    }

    /// Number of single-code-point emoji the analyser replaces by their description.
    pub fn emoji_len(&self) -> usize {
        self.tables.emojis.len()
    }

    /// The lexicon valence of a word (looked up in lowercase, as the reference does).
    pub fn lexicon_valence(&self, word: &str) -> Option<f64> {
        let lower = word.to_lowercase();
        self.tables
            .words
            .get(lower.as_str())
            .and_then(|info| info.valence)
    }

    /// The textual description VADER substitutes for an emoji, if it knows the emoji.
    pub fn emoji_description(&self, emoji: char) -> Option<&'static str> {
        self.tables.emojis.get(&emoji).copied()
    }

    /// VADER's `neg`, `neu`, `pos` (rounded to 3 decimals) and `compound` (rounded to 4), exactly
    /// as `SentimentIntensityAnalyzer().polarity_scores(text)` computes them.
    pub fn polarity_scores(&self, text: &str) -> VaderScores {
        self.run(text, |_, _| {})
    }

    /// The scores plus every token that carried sentiment after all rules (negation, boosters,
    /// caps, idioms, "but"), in text order: the explanation of the scores. `word` is the
    /// lowercase token (emoji appear as the words of their description).
    pub fn polarity_details(&self, text: &str) -> VaderDetails {
        let mut contributions = Vec::new();
        let scores = self.run(text, |lowers, sentiments| {
            for (word, valence) in lowers.iter().zip(sentiments) {
                if *valence != 0.0 {
                    contributions.push(WordValence {
                        word: (*word).to_string(),
                        valence: *valence,
                    });
                }
            }
        });
        VaderDetails {
            scores,
            contributions,
        }
    }

    /// The reference's `polarity_scores`; `inspect` sees the lowercase tokens and their final
    /// valences before they are summed.
    fn run(&self, text: &str, inspect: impl FnOnce(&[&str], &[f64])) -> VaderScores {
        let substituted;
        let mut processed = text;
        if !text.is_ascii()
            && let Some(replaced) = self.substitute_emojis(text)
        {
            substituted = replaced;
            processed = substituted.as_str();
        }
        let processed = py_strip(processed);

        let mut lower_buf = String::with_capacity(processed.len());
        let mut tokens: Vec<Token> = Vec::with_capacity(processed.len() / 4 + 1);
        for raw in py_split(processed) {
            let token = strip_punc_if_word(raw);
            let start = lower_buf.len();
            if token.is_ascii() {
                lower_buf.push_str(token);
                lower_buf[start..].make_ascii_lowercase();
            } else {
                lower_buf.push_str(&token.to_lowercase());
            }
            let end = lower_buf.len();
            let info = self
                .tables
                .words
                .get(&lower_buf[start..end])
                .copied()
                .unwrap_or_default();
            tokens.push(Token {
                lower_start: start as u32,
                lower_end: end as u32,
                info,
                is_upper: py_isupper(token),
            });
        }
        let lowers: Vec<&str> = tokens
            .iter()
            .map(|t| &lower_buf[t.lower_start as usize..t.lower_end as usize])
            .collect();
        let sentiments = token_sentiments(&tokens, &lowers);
        inspect(&lowers, &sentiments);
        score_valence(&sentiments, processed)
    }

    /// The reference's emoji loop: each known emoji code point becomes its description, preceded
    /// by a space unless the previous character was a space. `None` when the text has none.
    fn substitute_emojis(&self, text: &str) -> Option<String> {
        let first = text
            .char_indices()
            .find(|(_, c)| !c.is_ascii() && self.tables.emojis.contains_key(c))?
            .0;
        let mut out = String::with_capacity(text.len() + 32);
        out.push_str(&text[..first]);
        let mut prev_space = first == 0 || text[..first].ends_with(' ');
        for c in text[first..].chars() {
            match self.tables.emojis.get(&c) {
                Some(description) => {
                    if !prev_space {
                        out.push(' ');
                    }
                    out.push_str(description);
                    prev_space = false;
                }
                None => {
                    out.push(c);
                    prev_space = c == ' ';
                }
            }
        }
        Some(out)
    }
}

/// Scores every token as the reference's main loop and `_but_check` do.
fn token_sentiments(tokens: &[Token], lowers: &[&str]) -> Vec<f64> {
    let count = tokens.len();
    let upper_count = tokens.iter().filter(|t| t.is_upper).count();
    let is_cap_diff = upper_count > 0 && upper_count < count;
    let mut sentiments = Vec::with_capacity(count);
    for i in 0..count {
        if tokens[i].info.booster.is_some() {
            sentiments.push(0.0);
            continue;
        }
        if i + 1 < count && lowers[i] == "kind" && lowers[i + 1] == "of" {
            sentiments.push(0.0);
            continue;
        }
        sentiments.push(sentiment_valence(tokens, lowers, i, is_cap_diff));
    }
    but_check(lowers, &mut sentiments);
    sentiments
}

/// The reference's `sentiment_valence` for token `i`.
fn sentiment_valence(tokens: &[Token], lowers: &[&str], i: usize, is_cap_diff: bool) -> f64 {
    let Some(lexicon_valence) = tokens[i].info.valence else {
        return 0.0;
    };
    let count = tokens.len();
    let mut valence = lexicon_valence;
    if lowers[i] == "no" && i != count - 1 && tokens[i + 1].info.valence.is_some() {
        valence = 0.0;
    }
    if (i > 0 && lowers[i - 1] == "no")
        || (i > 1 && lowers[i - 2] == "no")
        || (i > 2 && lowers[i - 3] == "no" && matches!(lowers[i - 1], "or" | "nor"))
    {
        valence = lexicon_valence * N_SCALAR;
    }
    if tokens[i].is_upper && is_cap_diff {
        if valence > 0.0 {
            valence += C_INCR;
        } else {
            valence -= C_INCR;
        }
    }
    for start_i in 0..3 {
        if i <= start_i {
            continue;
        }
        let j = i - (start_i + 1);
        if tokens[j].info.valence.is_some() {
            continue;
        }
        let mut scalar = scalar_inc_dec(&tokens[j], valence, is_cap_diff);
        if start_i == 1 && scalar != 0.0 {
            scalar *= 0.95;
        }
        if start_i == 2 && scalar != 0.0 {
            scalar *= 0.9;
        }
        valence += scalar;
        valence = negation_check(valence, tokens, lowers, start_i, i);
        if start_i == 2 {
            valence = special_idioms_check(valence, lowers, i);
        }
    }
    least_check(valence, tokens, lowers, i)
}

/// The reference's `scalar_inc_dec`.
fn scalar_inc_dec(token: &Token, valence: f64, is_cap_diff: bool) -> f64 {
    let Some(mut scalar) = token.info.booster else {
        return 0.0;
    };
    if valence < 0.0 {
        scalar *= -1.0;
    }
    if token.is_upper && is_cap_diff {
        if valence > 0.0 {
            scalar += C_INCR;
        } else {
            scalar -= C_INCR;
        }
    }
    scalar
}

/// The reference's `negated([word])`: a `NEGATE` word or anything containing "n't".
#[inline]
fn is_negated(token: &Token, lower: &str) -> bool {
    // A byte window scan: `str::contains` sets up a two-way searcher per call, which cost more
    // than the scan of these short tokens.
    token.info.negation || lower.as_bytes().windows(3).any(|w| w == b"n't")
}

/// The reference's `_negation_check`.
fn negation_check(
    valence: f64,
    tokens: &[Token],
    lowers: &[&str],
    start_i: usize,
    i: usize,
) -> f64 {
    let j = i - (start_i + 1);
    match start_i {
        0 => {
            if is_negated(&tokens[j], lowers[j]) {
                return valence * N_SCALAR;
            }
        }
        1 => {
            if lowers[i - 2] == "never" && matches!(lowers[i - 1], "so" | "this") {
                return valence * 1.25;
            }
            if lowers[i - 2] == "without" && lowers[i - 1] == "doubt" {
                return valence;
            }
            if is_negated(&tokens[j], lowers[j]) {
                return valence * N_SCALAR;
            }
        }
        _ => {
            // Python precedence: (A and (B or C)) or (D or E).
            if (lowers[i - 3] == "never" && matches!(lowers[i - 2], "so" | "this"))
                || matches!(lowers[i - 1], "so" | "this")
            {
                return valence * 1.25;
            }
            if lowers[i - 3] == "without" && (lowers[i - 2] == "doubt" || lowers[i - 1] == "doubt")
            {
                return valence;
            }
            if is_negated(&tokens[j], lowers[j]) {
                return valence * N_SCALAR;
            }
        }
    }
    valence
}

/// The reference's `_special_idioms_check` (only called with `i >= 3`).
fn special_idioms_check(mut valence: f64, lowers: &[&str], i: usize) -> f64 {
    let (w3, w2, w1, w0) = (lowers[i - 3], lowers[i - 2], lowers[i - 1], lowers[i]);
    // sequences = [onezero, twoonezero, twoone, threetwoone, threetwo]; first hit wins.
    let first_hit = special_case2(w1, w0)
        .or_else(|| special_case3(w2, w1, w0))
        .or_else(|| special_case2(w2, w1))
        .or_else(|| special_case3(w3, w2, w1))
        .or_else(|| special_case2(w3, w2));
    if let Some(hit) = first_hit {
        valence = hit;
    }
    if lowers.len() - 1 > i
        && let Some(hit) = special_case2(w0, lowers[i + 1])
    {
        valence = hit;
    }
    if lowers.len() - 1 > i + 1
        && let Some(hit) = special_case3(w0, lowers[i + 1], lowers[i + 2])
    {
        valence = hit;
    }
    // n_grams = [threetwoone, threetwo, twoone]; the three-word one never matches a booster.
    if let Some(increment) = booster_bigram(w3, w2) {
        valence += increment;
    }
    if let Some(increment) = booster_bigram(w2, w1) {
        valence += increment;
    }
    valence
}

/// The reference's `_least_check`.
fn least_check(valence: f64, tokens: &[Token], lowers: &[&str], i: usize) -> f64 {
    if i == 0 || lowers[i - 1] != "least" || tokens[i - 1].info.valence.is_some() {
        return valence;
    }
    if i > 1 {
        if lowers[i - 2] != "at" && lowers[i - 2] != "very" {
            return valence * N_SCALAR;
        }
        return valence;
    }
    valence * N_SCALAR
}

/// The reference's `_but_check`, quirk included: each score is looked up again with
/// `list.index`, so a repeated value rescales its first occurrence instead of itself.
fn but_check(lowers: &[&str], sentiments: &mut [f64]) {
    let Some(but_index) = lowers.iter().position(|w| *w == "but") else {
        return;
    };
    for k in 0..sentiments.len() {
        let sentiment = sentiments[k];
        let first = sentiments[..=k]
            .iter()
            .position(|s| *s == sentiment)
            .unwrap_or(k);
        if first < but_index {
            sentiments[first] = sentiment * 0.5;
        } else if first > but_index {
            sentiments[first] = sentiment * 1.5;
        }
    }
}

/// The reference's `_amplify_ep` + `_amplify_qm` over the (emoji-substituted) text.
fn punctuation_emphasis(text: &str) -> f64 {
    let mut exclamations = 0usize;
    let mut questions = 0usize;
    for b in text.bytes() {
        match b {
            b'!' => exclamations += 1,
            b'?' => questions += 1,
            _ => {}
        }
    }
    let ep = exclamations.min(4) as f64 * 0.292;
    let qm = if questions > 1 {
        if questions <= 3 {
            questions as f64 * 0.18
        } else {
            0.96
        }
    } else {
        0.0
    };
    ep + qm
}

/// The reference's `normalize` with alpha = 15.
fn normalize(score: f64) -> f64 {
    let norm = score / (score * score + 15.0).sqrt();
    norm.clamp(-1.0, 1.0)
}

/// The reference's `score_valence`.
fn score_valence(sentiments: &[f64], text: &str) -> VaderScores {
    if sentiments.is_empty() {
        return VaderScores::default();
    }
    let mut sum: f64 = 0.0;
    for s in sentiments {
        sum += s;
    }
    let punct = punctuation_emphasis(text);
    if sum > 0.0 {
        sum += punct;
    } else if sum < 0.0 {
        sum -= punct;
    }
    let compound = normalize(sum);

    let mut pos_sum = 0.0;
    let mut neg_sum = 0.0;
    let mut neu_count = 0usize;
    // Without branches on the signs (data): adding 0.0 leaves both sums exactly as they were
    // (neither is ever -0.0: they start at +0.0 and only move away from it).
    for &s in sentiments {
        pos_sum += if s > 0.0 { s + 1.0 } else { 0.0 };
        neg_sum += if s < 0.0 { s - 1.0 } else { 0.0 };
        neu_count += usize::from(s == 0.0);
    }
    if pos_sum > neg_sum.abs() {
        pos_sum += punct;
    } else if pos_sum < neg_sum.abs() {
        neg_sum -= punct;
    }
    let total = pos_sum + neg_sum.abs() + neu_count as f64;
    VaderScores {
        neg: py_round((neg_sum / total).abs(), 3),
        neu: py_round((neu_count as f64 / total).abs(), 3),
        pos: py_round((pos_sum / total).abs(), 3),
        compound: py_round(compound, 4),
    }
}

/// VADER scores with the shared analyser (same as `Vader::new().polarity_scores(text)`).
pub fn polarity_scores(text: &str) -> VaderScores {
    Vader::new().polarity_scores(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicons_parse_completely() {
        let vader = Vader::new();
        assert_eq!(vader.lexicon_len(), 7_506);
        assert!(vader.emoji_len() > 1_000);
        assert_eq!(vader.lexicon_valence("GOOD"), Some(1.9));
        assert_eq!(vader.lexicon_valence(":)"), Some(2.0));
        assert_eq!(vader.lexicon_valence("switchyard"), None);
        assert_eq!(
            vader.emoji_description('😁'),
            Some("beaming face with smiling eyes")
        );
    }

    #[test]
    fn python_round_breaks_ties_on_the_exact_binary_value() {
        // 0.125 is exactly representable: ties to even. 0.0005 is slightly above its tie.
        assert_eq!(py_round(0.125, 2), 0.12);
        assert_eq!(py_round(0.375, 2), 0.38);
        assert_eq!(py_round(2.675, 2), 2.67);
        assert_eq!(py_round(0.12345, 4), 0.1235);
        assert_eq!(py_round(-0.74, 3), -0.74);
        assert_eq!(py_round(0.0, 4), 0.0);
    }

    #[test]
    fn isupper_follows_python() {
        assert!(py_isupper("GREAT"));
        assert!(py_isupper("GREAT!!"));
        assert!(py_isupper("ÉNORME"));
        assert!(!py_isupper("Great"));
        assert!(!py_isupper(":)"));
        assert!(!py_isupper("123"));
        assert!(!py_isupper("\u{01C5}A"));
    }

    #[test]
    fn punctuation_is_stripped_unless_too_little_remains() {
        assert_eq!(strip_punc_if_word("great!!!"), "great");
        assert_eq!(strip_punc_if_word("'good'"), "good");
        assert_eq!(strip_punc_if_word(":)"), ":)");
        assert_eq!(strip_punc_if_word(":-D"), ":-D");
        assert_eq!(strip_punc_if_word("ok!"), "ok!");
        assert_eq!(strip_punc_if_word("@united"), "united");
        assert_eq!(strip_punc_if_word("çé!"), "çé!");
    }

    #[test]
    fn python_whitespace_includes_information_separators() {
        assert!(is_py_space('\u{1c}'));
        assert!(is_py_space('\u{3000}'));
        assert!(!is_py_space('\u{200b}'));
        let vader = Vader::new();
        assert_eq!(
            vader.polarity_scores("good\u{1f}bad"),
            vader.polarity_scores("good bad")
        );
    }

    #[test]
    fn repeated_scores_before_but_follow_the_list_index_quirk() {
        // Python: _but_check(['a', 'b', 'but'], [1.9, 0.95, 0.0]) == [0.475, 0.95, 0.0]: after the
        // first score is halved to 0.95, list.index(0.95) finds it again instead of the second.
        let mut sentiments = vec![1.9, 0.95, 0.0];
        but_check(&["a", "b", "but"], &mut sentiments);
        assert_eq!(sentiments, vec![0.475, 0.95, 0.0]);
        let mut plain = vec![1.9, 1.9, 0.0];
        but_check(&["good", "good", "but"], &mut plain);
        assert_eq!(plain, vec![0.95, 0.95, 0.0]);
    }

    #[test]
    fn details_explain_the_scores() {
        let vader = Vader::new();
        let details = vader.polarity_details("The food was not GOOD but the staff were great 😁");
        assert_eq!(
            details.scores,
            vader.polarity_scores("The food was not GOOD but the staff were great 😁")
        );
        let words: Vec<&str> = details
            .contributions
            .iter()
            .map(|c| c.word.as_str())
            .collect();
        assert_eq!(words, ["good", "great", "smiling"]);
        assert!(details.contributions[0].valence < 0.0, "negated 'GOOD'");
        assert!(
            details.contributions[1].valence > 3.1 * 0.9,
            "'great' after 'but' is boosted"
        );
    }

    #[test]
    fn odd_input_never_panics() {
        let vader = Vader::new();
        for text in [
            "", " ", "!!!", "????", "no", "but", "kind of", "least", "\u{0}", "a\u{301}", "🔛🔛",
        ] {
            let scores = vader.polarity_scores(text);
            assert!(scores.compound.is_finite(), "{text:?}");
        }
    }
}
