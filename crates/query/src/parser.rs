//! Lexer and recursive-descent parser for listening queries, with positioned errors.
//!
//! Precedence, tightest first: `NEAR/n` (between two terms or phrases), then `NOT`/`-`, then `AND`
//! (explicit or implicit between adjacent operands), then `OR`. Parentheses group. Keywords are
//! uppercase; `and`, `or`, `not`, `near` in lowercase are ordinary words.

use crate::ast::{CountRange, Expr, FieldFilter, HasFeature, LabelTask, PostFlag, Query};
use crate::error::QueryError;
use crate::tokenize::{TokenizedText, fold};
use switchyard_domain::Channel;

/// How deep parentheses and `NOT`s may nest before the parser refuses the query.
pub const MAX_NESTING: usize = 64;

/// The largest `NEAR/n` distance accepted.
pub const MAX_NEAR_DISTANCE: u32 = 1000;

/// Field names the parser knows, as listed in error messages.
pub const KNOWN_FIELDS: &str = "author:, channel:, lang:, sentiment:, complaint:, intent:, reason:, \
urgency:, toxicity:, followers:, has:, is:";

/// Parses a listening query.
///
/// ```
/// let query = switchyard_query::parse(r#"delta (late OR delayed) -"on time" lang:en"#).unwrap();
/// assert_eq!(
///     query.expr.to_string(),
///     r#"delta AND (late OR delayed) AND NOT "on time" AND lang:en"#
/// );
/// let error = switchyard_query::parse("delta AND").unwrap_err();
/// assert_eq!(error.position, 9);
/// ```
pub fn parse(input: &str) -> Result<Query, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let lexemes = Lexer {
        query: input,
        chars: &chars,
        index: 0,
    }
    .run()?;
    let mut parser = Parser {
        query: input,
        lexemes,
        index: 0,
        end: chars.len(),
        depth: 0,
        open_groups: 0,
    };
    let expr = parser.parse_or("")?;
    if let Some(lexeme) = parser.peek() {
        // Everything that can follow an expression was consumed, so this is a stray ")".
        return Err(parser.error_at(
            lexeme.position,
            "an operator, a term or the end of the query",
            format!("{} with no \"(\" before it", lexeme.describe()),
        ));
    }
    Ok(Query {
        expr,
        source: input.to_string(),
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Lex {
    OpenParen,
    CloseParen,
    /// The text between double quotes.
    Quoted(String),
    /// A `-` glued to the next operand.
    Minus,
    And,
    Or,
    Not,
    Near(u32),
    /// A bare word (may carry `#`, `@`, `*`).
    Word(String),
    Field {
        name: String,
        value: String,
        value_position: usize,
    },
}

#[derive(Debug, Clone)]
struct Lexeme {
    lex: Lex,
    /// Character offset where it starts.
    position: usize,
    /// The text as written.
    raw: String,
}

impl Lexeme {
    fn describe(&self) -> String {
        match &self.lex {
            Lex::Quoted(_) => format!("the phrase {}", self.raw),
            Lex::And | Lex::Or | Lex::Not => format!(
                "\"{}\" (an operator; to search for the word, write it in lowercase)",
                self.raw
            ),
            _ => format!("\"{}\"", self.raw),
        }
    }
}

struct Lexer<'a> {
    query: &'a str,
    chars: &'a [char],
    index: usize,
}

fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"')
}

impl Lexer<'_> {
    fn run(mut self) -> Result<Vec<Lexeme>, QueryError> {
        let mut lexemes = Vec::new();
        while self.index < self.chars.len() {
            let c = self.chars[self.index];
            let start = self.index;
            if c.is_whitespace() {
                self.index += 1;
                continue;
            }
            let lexeme = match c {
                '(' => {
                    self.index += 1;
                    self.simple(Lex::OpenParen, start)
                }
                ')' => {
                    self.index += 1;
                    self.simple(Lex::CloseParen, start)
                }
                '"' => {
                    let content = self.quoted("a phrase")?;
                    let raw = self.raw(start);
                    Lexeme {
                        lex: Lex::Quoted(content),
                        position: start,
                        raw,
                    }
                }
                '-' if self
                    .chars
                    .get(start + 1)
                    .is_some_and(|next| !next.is_whitespace()) =>
                {
                    self.index += 1;
                    self.simple(Lex::Minus, start)
                }
                _ => self.word(start)?,
            };
            lexemes.push(lexeme);
        }
        Ok(lexemes)
    }

    fn simple(&self, lex: Lex, start: usize) -> Lexeme {
        Lexeme {
            lex,
            position: start,
            raw: self.raw(start),
        }
    }

    fn raw(&self, start: usize) -> String {
        self.chars[start..self.index].iter().collect()
    }

    /// Reads `"…"` starting at the opening quote; returns the content.
    fn quoted(&mut self, what: &str) -> Result<String, QueryError> {
        let open = self.index;
        self.index += 1;
        let content_start = self.index;
        while self.index < self.chars.len() && self.chars[self.index] != '"' {
            self.index += 1;
        }
        if self.index >= self.chars.len() {
            return Err(QueryError::new(
                self.query,
                self.chars.len(),
                format!("a closing '\"' for {what} opened at {open}"),
                "end of query",
            ));
        }
        let content = self.chars[content_start..self.index].iter().collect();
        self.index += 1;
        Ok(content)
    }

    fn word(&mut self, start: usize) -> Result<Lexeme, QueryError> {
        while self.index < self.chars.len() && !ends_word(self.chars[self.index]) {
            self.index += 1;
            // `field:"quoted value"`: the quote belongs to the field.
            let just_read = self.chars[self.index - 1];
            if just_read == ':'
                && self.chars.get(self.index) == Some(&'"')
                && self.chars[start..self.index - 1]
                    .iter()
                    .all(|c| c.is_ascii_alphabetic())
                && self.index - 1 > start
            {
                let name: String = self.chars[start..self.index - 1].iter().collect();
                let value_position = self.index + 1;
                let value = self.quoted(&format!("the value of {name}:"))?;
                return Ok(Lexeme {
                    lex: Lex::Field {
                        name: name.to_ascii_lowercase(),
                        value,
                        value_position,
                    },
                    position: start,
                    raw: self.raw(start),
                });
            }
        }
        let raw = self.raw(start);
        let lex = match raw.as_str() {
            "AND" => Lex::And,
            "OR" => Lex::Or,
            "NOT" => Lex::Not,
            _ if raw == "NEAR" || raw.starts_with("NEAR/") => {
                let distance = raw
                    .strip_prefix("NEAR/")
                    .filter(|digits| {
                        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
                    })
                    .and_then(|digits| digits.parse::<u32>().ok());
                match distance {
                    Some(distance) if distance <= MAX_NEAR_DISTANCE => Lex::Near(distance),
                    Some(_) => {
                        return Err(QueryError::new(
                            self.query,
                            start,
                            format!("a NEAR distance of at most {MAX_NEAR_DISTANCE} words"),
                            format!("\"{raw}\""),
                        ));
                    }
                    None => {
                        return Err(QueryError::new(
                            self.query,
                            start,
                            "a distance in words (NEAR needs a distance: NEAR/5)",
                            format!("\"{raw}\""),
                        ));
                    }
                }
            }
            _ => match field_split(&raw) {
                Some((name, value)) => {
                    let name_chars = name.chars().count();
                    Lex::Field {
                        name: name.to_ascii_lowercase(),
                        value: value.to_string(),
                        value_position: start + name_chars + 1,
                    }
                }
                None => Lex::Word(raw.clone()),
            },
        };
        Ok(Lexeme {
            lex,
            position: start,
            raw,
        })
    }
}

/// Splits `name:value` when `name` is one or more ASCII letters; `10:30` or `http://x` are words.
fn field_split(raw: &str) -> Option<(&str, &str)> {
    let (name, value) = raw.split_once(':')?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    // `http://…` and `https://…` are links people paste, not fields.
    if value.starts_with("//") {
        return None;
    }
    Some((name, value))
}

struct Parser<'a> {
    query: &'a str,
    lexemes: Vec<Lexeme>,
    index: usize,
    /// Character length of the query (where "end of query" errors point).
    end: usize,
    depth: usize,
    open_groups: usize,
}

fn operand_expected(after: &str) -> String {
    if after.is_empty() {
        "a term, phrase, field filter or \"(\"".to_string()
    } else {
        format!("a term or \"(\" {after}")
    }
}

fn make_and(children: Vec<Expr>) -> Expr {
    combine(children, true)
}

fn make_or(children: Vec<Expr>) -> Expr {
    combine(children, false)
}

fn combine(children: Vec<Expr>, conjunction: bool) -> Expr {
    let mut flat = Vec::with_capacity(children.len());
    for child in children {
        match child {
            Expr::And(inner) if conjunction => flat.extend(inner),
            Expr::Or(inner) if !conjunction => flat.extend(inner),
            other => flat.push(other),
        }
    }
    if flat.len() == 1 {
        return flat.pop().unwrap_or(Expr::And(Vec::new()));
    }
    if conjunction {
        Expr::And(flat)
    } else {
        Expr::Or(flat)
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Lexeme> {
        self.lexemes.get(self.index)
    }

    fn advance(&mut self) -> Option<Lexeme> {
        let lexeme = self.lexemes.get(self.index).cloned();
        if lexeme.is_some() {
            self.index += 1;
        }
        lexeme
    }

    fn error_at(
        &self,
        position: usize,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> QueryError {
        QueryError::new(self.query, position, expected, found)
    }

    fn found_here(&self) -> (usize, String) {
        match self.peek() {
            Some(lexeme) => (lexeme.position, lexeme.describe()),
            None => (self.end, "end of query".to_string()),
        }
    }

    fn enter(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            let (position, _) = self.found_here();
            return Err(self.error_at(
                position,
                format!("at most {MAX_NESTING} nested groups or NOTs"),
                "deeper nesting",
            ));
        }
        Ok(())
    }

    fn parse_or(&mut self, after: &str) -> Result<Expr, QueryError> {
        let mut children = vec![self.parse_and(after)?];
        while matches!(self.peek().map(|l| &l.lex), Some(Lex::Or)) {
            self.advance();
            children.push(self.parse_and("after OR")?);
        }
        Ok(make_or(children))
    }

    fn parse_and(&mut self, after: &str) -> Result<Expr, QueryError> {
        let mut children = vec![self.parse_unary(after)?];
        loop {
            match self.peek().map(|l| &l.lex) {
                Some(Lex::And) => {
                    self.advance();
                    children.push(self.parse_unary("after AND")?);
                }
                Some(
                    Lex::OpenParen
                    | Lex::Quoted(_)
                    | Lex::Minus
                    | Lex::Not
                    | Lex::Word(_)
                    | Lex::Field { .. },
                ) => children.push(self.parse_unary("")?),
                _ => break,
            }
        }
        Ok(make_and(children))
    }

    fn parse_unary(&mut self, after: &str) -> Result<Expr, QueryError> {
        let negation = match self.peek().map(|l| &l.lex) {
            Some(Lex::Not) => "after NOT",
            Some(Lex::Minus) => "after \"-\"",
            _ => return self.parse_near(after),
        };
        self.advance();
        self.enter()?;
        let inner = self.parse_unary(negation)?;
        self.depth -= 1;
        Ok(Expr::Not(Box::new(inner)))
    }

    fn parse_near(&mut self, after: &str) -> Result<Expr, QueryError> {
        let left_position = self.found_here().0;
        let left = self.parse_primary(after)?;
        let Some(Lexeme {
            lex: Lex::Near(distance),
            raw,
            ..
        }) = self.peek().cloned()
        else {
            return Ok(left);
        };
        if !left.is_proximity_operand() {
            return Err(self.error_at(
                left_position,
                format!("a term, phrase or prefix before {raw} (NEAR joins two of those)"),
                format!("{} before it", describe_operand(&left)),
            ));
        }
        self.advance();
        let right_position = self.found_here().0;
        let right = self.parse_primary(&format!("after {raw}"))?;
        if !right.is_proximity_operand() {
            return Err(self.error_at(
                right_position,
                format!("a term, phrase or prefix after {raw} (NEAR joins two of those)"),
                describe_operand(&right),
            ));
        }
        if let Some(next) = self.peek()
            && let Lex::Near(_) = next.lex
        {
            return Err(self.error_at(
                next.position,
                "one NEAR between two terms; chain them with AND: (a NEAR/3 b) AND (b NEAR/3 c)",
                format!("a second \"{}\"", next.raw),
            ));
        }
        Ok(Expr::Near {
            left: Box::new(left),
            right: Box::new(right),
            distance,
        })
    }

    fn parse_primary(&mut self, after: &str) -> Result<Expr, QueryError> {
        let Some(lexeme) = self.peek().cloned() else {
            return Err(self.error_at(self.end, operand_expected(after), "end of query"));
        };
        match lexeme.lex {
            Lex::OpenParen => {
                self.advance();
                self.enter()?;
                self.open_groups += 1;
                let inner = self.parse_or("after \"(\"")?;
                self.open_groups -= 1;
                self.depth -= 1;
                match self.peek().map(|l| &l.lex) {
                    Some(Lex::CloseParen) => {
                        self.advance();
                        Ok(inner)
                    }
                    _ => {
                        let (position, found) = self.found_here();
                        Err(self.error_at(
                            position,
                            format!("\")\" for the unclosed \"(\" opened at {}", lexeme.position),
                            found,
                        ))
                    }
                }
            }
            Lex::CloseParen => {
                let found = if self.open_groups > 0 {
                    "\")\"".to_string()
                } else {
                    "\")\" with no \"(\" before it".to_string()
                };
                Err(self.error_at(lexeme.position, operand_expected(after), found))
            }
            Lex::Quoted(content) => {
                self.advance();
                phrase_from_quotes(self.query, &content, lexeme.position)
            }
            Lex::Word(raw) => {
                self.advance();
                term_from_word(self.query, &raw, lexeme.position)
            }
            Lex::Field {
                name,
                value,
                value_position,
            } => {
                self.advance();
                field_filter(self.query, &name, &value, lexeme.position, value_position)
                    .map(Expr::Field)
            }
            Lex::And | Lex::Or | Lex::Not | Lex::Minus | Lex::Near(_) => {
                let expected = match lexeme.lex {
                    Lex::Near(_) => format!("a term or phrase before {}", lexeme.raw),
                    _ => operand_expected(after),
                };
                Err(self.error_at(lexeme.position, expected, lexeme.describe()))
            }
        }
    }
}

fn describe_operand(expr: &Expr) -> &'static str {
    match expr {
        Expr::And(_) | Expr::Or(_) => "a group",
        Expr::Not(_) => "a negation",
        Expr::Near { .. } => "another NEAR",
        Expr::Field(_) => "a field filter",
        Expr::Term(_) | Expr::Phrase(_) | Expr::Prefix(_) => "a term",
    }
}

/// The folded words of `text`, each with its `#`/`@` sigil.
fn folded_words(text: &str) -> Vec<String> {
    let tokenized = TokenizedText::new(text);
    tokenized
        .tokens()
        .iter()
        .map(|token| format!("{}{}", token.kind.sigil(), tokenized.text(token)))
        .collect()
}

fn words_to_expr(mut words: Vec<String>) -> Expr {
    if words.len() == 1 {
        return Expr::Term(words.pop().unwrap_or_default());
    }
    Expr::Phrase(words)
}

fn phrase_from_quotes(query: &str, content: &str, position: usize) -> Result<Expr, QueryError> {
    let words = folded_words(content);
    if words.is_empty() {
        return Err(QueryError::new(
            query,
            position,
            "a phrase with at least one word between the quotes",
            format!("\"{content}\""),
        ));
    }
    Ok(words_to_expr(words))
}

fn term_from_word(query: &str, raw: &str, position: usize) -> Result<Expr, QueryError> {
    if let Some(star) = raw.find('*') {
        let star_position = position + raw[..star].chars().count();
        if star + 1 != raw.len() {
            return Err(QueryError::new(
                query,
                star_position,
                "a wildcard only at the end of a word, e.g. deliver*",
                format!("\"*\" inside \"{raw}\""),
            ));
        }
        let stem = &raw[..star];
        let words = folded_words(stem);
        let [word] = words.as_slice() else {
            let expected = if words.is_empty() {
                "a word before \"*\", e.g. deliver*"
            } else {
                "a single word before \"*\" (a wildcard cannot span punctuation or spaces)"
            };
            return Err(QueryError::new(
                query,
                position,
                expected,
                format!("\"{raw}\""),
            ));
        };
        let letters = word.trim_start_matches(['#', '@']).chars().count();
        if letters < 2 {
            return Err(QueryError::new(
                query,
                position,
                "at least two letters or digits before \"*\"",
                format!("\"{raw}\""),
            ));
        }
        return Ok(Expr::Prefix(word.clone()));
    }
    let words = folded_words(raw);
    if words.is_empty() {
        return Err(QueryError::new(
            query,
            position,
            "a term with letters or digits",
            format!("\"{raw}\""),
        ));
    }
    Ok(words_to_expr(words))
}

fn field_filter(
    query: &str,
    name: &str,
    value: &str,
    name_position: usize,
    value_position: usize,
) -> Result<FieldFilter, QueryError> {
    let value_error = |expected: String| {
        let found = if value.is_empty() {
            "nothing".to_string()
        } else {
            format!("\"{value}\"")
        };
        QueryError::new(query, value_position, expected, found)
    };
    if value.trim().is_empty() {
        return Err(value_error(format!(
            "a value after \"{name}:\" with no space, e.g. {}",
            field_example(name)
        )));
    }
    let filter = match name {
        "author" | "from" => {
            let handle = fold(value.trim().trim_start_matches('@'));
            if handle.is_empty() || handle.chars().any(char::is_whitespace) {
                return Err(value_error(
                    "a handle without spaces, e.g. author:@delta".to_string(),
                ));
            }
            FieldFilter::Author(handle)
        }
        "channel" => match value.parse::<Channel>() {
            Ok(channel) => FieldFilter::Channel(channel),
            Err(_) => {
                let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
                return Err(value_error(format!("a channel: {}", names.join(", "))));
            }
        },
        "lang" | "language" => {
            let code = value.trim().to_ascii_lowercase();
            let valid = (2..=8).contains(&code.len())
                && code.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                && !code.starts_with('-');
            if !valid {
                return Err(value_error(
                    "a language code such as en, de or pt-br".to_string(),
                ));
            }
            FieldFilter::Language(code)
        }
        "sentiment" => {
            let label = match fold(value.trim()).as_str() {
                "negative" | "neg" => "negative",
                "neutral" | "neu" => "neutral",
                "positive" | "pos" => "positive",
                _ => {
                    return Err(value_error(
                        "a sentiment: negative, neutral or positive".to_string(),
                    ));
                }
            };
            FieldFilter::Label {
                task: LabelTask::Sentiment,
                label: label.to_string(),
            }
        }
        "complaint" | "intent" | "reason" | "urgency" | "toxicity" => {
            let task = LabelTask::ALL
                .into_iter()
                .find(|task| task.as_str() == name)
                .unwrap_or(LabelTask::Intent);
            FieldFilter::Label {
                task,
                label: fold(value.trim()),
            }
        }
        "followers" => FieldFilter::Followers(
            parse_count_range(value).map_err(|problem| {
                value_error(format!(
                    "a follower count such as followers:>1000, followers:<=500, followers:10k..1m ({problem})"
                ))
            })?,
        ),
        "has" => {
            let wanted = value.trim().to_ascii_lowercase();
            let wanted = wanted.trim_end_matches('s');
            match HasFeature::ALL.into_iter().find(|f| f.as_str() == wanted) {
                Some(feature) => FieldFilter::Has(feature),
                None => {
                    return Err(value_error(
                        "has:link, has:mention or has:hashtag".to_string(),
                    ));
                }
            }
        }
        "is" => {
            let wanted = value.trim().to_ascii_lowercase();
            match PostFlag::ALL.into_iter().find(|f| f.as_str() == wanted) {
                Some(flag) => FieldFilter::Is(flag),
                None => {
                    return Err(value_error(
                        "is:reply, is:verified, is:public or is:private".to_string(),
                    ));
                }
            }
        }
        _ => {
            return Err(QueryError::new(
                query,
                name_position,
                format!("one of the known fields: {KNOWN_FIELDS} (or quote the text to search for it)"),
                format!("unknown field \"{name}:\""),
            ));
        }
    };
    Ok(filter)
}

fn field_example(name: &str) -> &'static str {
    match name {
        "author" | "from" => "author:@delta",
        "channel" => "channel:mastodon",
        "lang" | "language" => "lang:en",
        "sentiment" => "sentiment:negative",
        "followers" => "followers:>1000",
        "has" => "has:link",
        "is" => "is:reply",
        _ => "intent:complaint",
    }
}

/// Parses `>N`, `>=N`, `<N`, `<=N`, `N..M`, `N..`, `..M` or `N` (exactly N); counts may use
/// `k`/`m` suffixes (`10k`, `1.5m`).
fn parse_count_range(value: &str) -> Result<CountRange, String> {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix(">=") {
        return Ok(CountRange {
            min: Some(parse_count(rest)?),
            max: None,
        });
    }
    if let Some(rest) = value.strip_prefix("<=") {
        return Ok(CountRange {
            min: None,
            max: Some(parse_count(rest)?),
        });
    }
    if let Some(rest) = value.strip_prefix('>') {
        let count = parse_count(rest)?;
        let min = count
            .checked_add(1)
            .ok_or_else(|| format!("no count is above {count}"))?;
        return Ok(CountRange {
            min: Some(min),
            max: None,
        });
    }
    if let Some(rest) = value.strip_prefix('<') {
        let count = parse_count(rest)?;
        let max = count
            .checked_sub(1)
            .ok_or_else(|| "no count is below 0".to_string())?;
        return Ok(CountRange {
            min: None,
            max: Some(max),
        });
    }
    if let Some((low, high)) = value.split_once("..") {
        let min = if low.is_empty() {
            None
        } else {
            Some(parse_count(low)?)
        };
        let max = if high.is_empty() {
            None
        } else {
            Some(parse_count(high)?)
        };
        if min.is_none() && max.is_none() {
            return Err("a range needs at least one end".to_string());
        }
        if let (Some(low), Some(high)) = (min, max)
            && low > high
        {
            return Err(format!("the range {low}..{high} is empty"));
        }
        return Ok(CountRange { min, max });
    }
    let count = parse_count(value)?;
    Ok(CountRange {
        min: Some(count),
        max: Some(count),
    })
}

/// Parses `1234`, `10k`, `1.5m` (suffixes case-insensitive).
fn parse_count(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, multiplier) = match text.char_indices().last() {
        Some((at, 'k' | 'K')) => (&text[..at], 1_000u128),
        Some((at, 'm' | 'M')) => (&text[..at], 1_000_000u128),
        _ => (text, 1u128),
    };
    let bad = || format!("\"{text}\" is not a count");
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits_only = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) {
        return Err(bad());
    }
    if !fraction.is_empty() && multiplier == 1 {
        return Err(format!("\"{text}\" is not a whole count"));
    }
    if whole.len() > 20 || fraction.len() > 6 {
        return Err(format!("\"{text}\" is too large"));
    }
    let whole: u128 = whole.parse().map_err(|_| bad())?;
    let mut value = whole * multiplier;
    if !fraction.is_empty() {
        let scale = 10u128.pow(fraction.len() as u32);
        let fraction: u128 = fraction.parse().map_err(|_| bad())?;
        value += fraction * multiplier / scale;
    }
    u64::try_from(value).map_err(|_| format!("\"{text}\" is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(input: &str) -> Expr {
        match parse(input) {
            Ok(query) => query.expr,
            Err(error) => panic!("{input:?} should parse:\n{error}"),
        }
    }

    fn error(input: &str) -> QueryError {
        match parse(input) {
            Ok(query) => panic!("{input:?} should not parse, got {:?}", query.expr),
            Err(error) => error,
        }
    }

    fn term(word: &str) -> Expr {
        Expr::Term(word.to_string())
    }

    #[test]
    fn adjacent_terms_are_anded_and_or_binds_loosest() {
        assert_eq!(
            expr("delta late OR united"),
            Expr::Or(vec![
                Expr::And(vec![term("delta"), term("late")]),
                term("united")
            ])
        );
        assert_eq!(
            expr("delta AND (late OR delayed)"),
            Expr::And(vec![
                term("delta"),
                Expr::Or(vec![term("late"), term("delayed")])
            ])
        );
    }

    #[test]
    fn not_and_minus_negate() {
        assert_eq!(
            expr("delta -refund NOT \"on time\""),
            Expr::And(vec![
                term("delta"),
                Expr::Not(Box::new(term("refund"))),
                Expr::Not(Box::new(Expr::Phrase(vec!["on".into(), "time".into()])))
            ])
        );
        assert_eq!(
            expr("-(a OR b)"),
            Expr::Not(Box::new(Expr::Or(vec![term("a"), term("b")])))
        );
    }

    #[test]
    fn words_are_folded_and_split_like_post_text() {
        assert_eq!(expr("Café"), term("cafe"));
        assert_eq!(expr("wi-fi"), Expr::Phrase(vec!["wi".into(), "fi".into()]));
        assert_eq!(
            expr("#Delta @United"),
            Expr::And(vec![term("#delta"), term("@united")])
        );
        assert_eq!(expr("\"solo\""), term("solo"));
        assert_eq!(
            expr("and or not"),
            Expr::And(vec![term("and"), term("or"), term("not")])
        );
    }

    #[test]
    fn wildcards_and_near() {
        assert_eq!(expr("Deliver*"), Expr::Prefix("deliver".into()));
        assert_eq!(
            expr("refund NEAR/3 \"credit card\""),
            Expr::Near {
                left: Box::new(term("refund")),
                right: Box::new(Expr::Phrase(vec!["credit".into(), "card".into()])),
                distance: 3
            }
        );
    }

    #[test]
    fn field_filters() {
        assert_eq!(
            expr("author:@Delta channel:twitter lang:EN sentiment:neg"),
            Expr::And(vec![
                Expr::Field(FieldFilter::Author("delta".into())),
                Expr::Field(FieldFilter::Channel(Channel::X)),
                Expr::Field(FieldFilter::Language("en".into())),
                Expr::Field(FieldFilter::Label {
                    task: LabelTask::Sentiment,
                    label: "negative".into()
                }),
            ])
        );
        assert_eq!(
            expr("reason:\"Lost Luggage\""),
            Expr::Field(FieldFilter::Label {
                task: LabelTask::Reason,
                label: "lost luggage".into()
            })
        );
        let range = |input: &str| match expr(input) {
            Expr::Field(FieldFilter::Followers(range)) => (range.min, range.max),
            other => panic!("{other:?}"),
        };
        assert_eq!(range("followers:>1000"), (Some(1001), None));
        assert_eq!(range("followers:>=1k"), (Some(1000), None));
        assert_eq!(range("followers:<10"), (None, Some(9)));
        assert_eq!(range("followers:<=1.5m"), (None, Some(1_500_000)));
        assert_eq!(range("followers:10..20"), (Some(10), Some(20)));
        assert_eq!(range("followers:10.."), (Some(10), None));
        assert_eq!(range("followers:42"), (Some(42), Some(42)));
        assert_eq!(
            expr("has:links is:reply"),
            Expr::And(vec![
                Expr::Field(FieldFilter::Has(HasFeature::Link)),
                Expr::Field(FieldFilter::Is(PostFlag::Reply))
            ])
        );
        // Times and links are words, not fields.
        assert_eq!(expr("10:30"), Expr::Phrase(vec!["10".into(), "30".into()]));
        assert_eq!(
            expr("https://delta.com"),
            Expr::Phrase(vec!["https".into(), "delta".into(), "com".into()])
        );
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = error("delta AND");
        assert_eq!((e.position, e.found.as_str()), (9, "end of query"));
        assert_eq!(e.expected, "a term or \"(\" after AND");

        let e = error("late (delta OR united");
        assert_eq!(e.position, 21);
        assert!(e.expected.contains("opened at 5"), "{e}");

        let e = error("foo:bar");
        assert_eq!(e.position, 0);
        assert!(e.found.contains("unknown field \"foo:\""), "{e}");
        assert!(e.expected.contains("author:"), "{e}");

        let e = error("refund NEAR card");
        assert_eq!(e.position, 7);
        assert!(e.expected.contains("NEAR/5"), "{e}");

        let e = error("a ) b");
        assert_eq!(e.position, 2);

        let e = error("\"lost luggage");
        assert_eq!(e.position, 13);

        let e = error("channel:myspace");
        assert_eq!(e.position, 8);
        assert!(e.expected.contains("mastodon"), "{e}");

        let e = error("de*ver");
        assert_eq!(e.position, 2);

        let e = error("followers:>lots");
        assert_eq!(e.position, 10);

        let e = error("(a b) NEAR/2 c");
        assert_eq!(e.position, 0);

        let e = error("");
        assert_eq!((e.position, e.found.as_str()), (0, "end of query"));

        let e = error("OR late");
        assert!(e.found.contains("operator"), "{e}");
    }

    #[test]
    fn error_positions_count_characters_not_bytes() {
        let e = error("café AND");
        assert_eq!(e.position, 8);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "(".repeat(10_000);
        assert!(error(&deep).expected.contains("nested"));
        let nots = "NOT ".repeat(10_000) + "x";
        assert!(error(&nots).expected.contains("nested"));
    }

    #[test]
    fn display_round_trips() {
        for input in [
            "delta late OR united -refund",
            "(a OR b) (c OR -d) NOT (e f)",
            "refund NEAR/3 \"credit card\" deliver* #fail @delta",
            "reason:\"lost luggage\" followers:10..20 followers:>5 has:link is:private lang:pt-br",
            "NOT a NEAR/0 b",
        ] {
            let first = expr(input);
            let second = expr(&first.to_string());
            assert_eq!(first, second, "{input} → {first}");
        }
    }
}
