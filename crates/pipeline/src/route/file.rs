//! Reading a rules file: TOML → raw structures (unknown keys refused with the list of known ones)
//! → validated [`RuleSet`], every problem reported with its line and column.

use super::{
    Actions, AnalysisOverrides, COMPLAINT_YES, Condition, Expectation, LabelTask, Rule, RuleSet,
    RuleTest,
};
use crate::text_position::line_column;
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use serde::Deserialize;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use switchyard_domain::{Author, Channel, NewPost, Priority};
use switchyard_query::QuerySet;
use toml::Spanned;

/// One thing wrong in a rules file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesProblem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for RulesProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// Why a rules file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read rules file {path}: {source}; check the path (config key `rules`)")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("rules file {path} has {} problem(s):\n{}", problems.len(), list(problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<RulesProblem>,
    },
}

impl RulesError {
    /// The problems found (empty for read errors).
    pub fn problems(&self) -> &[RulesProblem] {
        match self {
            RulesError::Read { .. } => &[],
            RulesError::Invalid { problems, .. } => problems,
        }
    }
}

fn list(problems: &[RulesProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {}:{}: {}", p.line, p.column, p.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    settings: RawSettings,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    /// e.g. `"+01:00"`; `hours` and `days` are read in this offset.
    #[serde(default)]
    utc_offset: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    #[serde(default)]
    when: RawWhen,
    then: RawThen,
    #[serde(default)]
    tests: Vec<Spanned<RawTest>>,
}

fn enabled_by_default() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWhen {
    #[serde(default)]
    query: Option<Spanned<String>>,
    #[serde(default)]
    sentiment: Option<Spanned<toml::Value>>,
    #[serde(default)]
    intent: Option<Spanned<toml::Value>>,
    #[serde(default)]
    complaint: Option<Spanned<toml::Value>>,
    #[serde(default)]
    reason: Option<Spanned<toml::Value>>,
    #[serde(default)]
    urgency: Option<Spanned<toml::Value>>,
    #[serde(default)]
    toxicity: Option<Spanned<toml::Value>>,
    #[serde(default)]
    channel: Option<Spanned<toml::Value>>,
    #[serde(default)]
    language: Option<Spanned<toml::Value>>,
    #[serde(default)]
    followers_at_least: Option<u64>,
    #[serde(default)]
    followers_below: Option<u64>,
    #[serde(default)]
    verified: Option<bool>,
    #[serde(default)]
    is_reply: Option<bool>,
    #[serde(default)]
    hours: Option<Spanned<String>>,
    #[serde(default)]
    days: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThen {
    #[serde(default)]
    queue: Option<Spanned<String>>,
    #[serde(default)]
    priority: Option<Spanned<String>>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    sla: Option<String>,
    #[serde(default)]
    alert: Vec<String>,
    #[serde(default)]
    stop: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTest {
    text: String,
    #[serde(default)]
    channel: Option<Spanned<String>>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    followers: Option<u64>,
    #[serde(default)]
    verified: bool,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    reply_to: Option<String>,
    /// RFC 3339 time the post is routed at (default Monday 2026-01-05 12:00 UTC).
    #[serde(default)]
    at: Option<Spanned<String>>,
    #[serde(default)]
    analysis: RawOverrides,
    expect: RawExpect,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverrides {
    #[serde(default)]
    sentiment: Option<String>,
    #[serde(default)]
    compound: Option<f64>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    intent: Option<String>,
    #[serde(default)]
    complaint: Option<toml::Value>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    urgency: Option<String>,
    #[serde(default)]
    toxicity: Option<String>,
    #[serde(default)]
    confidence: Option<f32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    #[serde(default)]
    queue: Option<String>,
    #[serde(default)]
    priority: Option<Spanned<String>>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    sla: Option<String>,
    #[serde(default)]
    alerts: Option<Vec<String>>,
    #[serde(default = "enabled_by_default")]
    matched: bool,
}

/// The default time rule tests are routed at: Monday 2026-01-05, 12:00 UTC.
pub(crate) fn default_test_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Collects problems while converting, so one run reports all of them.
struct Builder<'a> {
    source: &'a str,
    problems: Vec<RulesProblem>,
}

impl Builder<'_> {
    fn problem(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, column) = line_column(self.source, span.start);
        self.problems.push(RulesProblem {
            line,
            column,
            message: message.into(),
        });
    }

    fn line_of(&self, span: &Range<usize>) -> usize {
        line_column(self.source, span.start).0
    }
}

impl RuleSet {
    /// Reads and validates a rules file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<RuleSet, RulesError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        RuleSet::from_toml_str(&text, path)
    }

    /// Parses and validates rules from TOML text; `source` names the file in errors.
    pub fn from_toml_str(text: &str, source: impl AsRef<Path>) -> Result<RuleSet, RulesError> {
        let path = source.as_ref();
        let invalid = |problems| RulesError::Invalid {
            path: path.to_path_buf(),
            problems,
        };
        let raw: RawFile = toml::from_str(text).map_err(|error| {
            let (line, column) = error
                .span()
                .map(|span| line_column(text, span.start))
                .unwrap_or((1, 1));
            invalid(vec![RulesProblem {
                line,
                column,
                message: error.message().trim().to_string(),
            }])
        })?;
        let mut builder = Builder {
            source: text,
            problems: Vec::new(),
        };
        let offset = match &raw.settings.utc_offset {
            None => FixedOffset::east_opt(0).expect("zero offset"),
            Some(spanned) => match parse_offset(spanned.get_ref()) {
                Some(offset) => offset,
                None => {
                    builder.problem(
                        spanned.span(),
                        format!(
                            "settings.utc_offset {:?} is not an offset; write it like \"+01:00\" or \"-05:00\"",
                            spanned.get_ref()
                        ),
                    );
                    FixedOffset::east_opt(0).expect("zero offset")
                }
            },
        };
        let mut rules = Vec::new();
        let mut queries = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for raw_rule in raw.rules {
            if !raw_rule.enabled {
                continue;
            }
            let name = raw_rule.name.get_ref().trim().to_string();
            let name_span = raw_rule.name.span();
            if name.is_empty() {
                builder.problem(name_span.clone(), "a rule's name must not be empty");
            } else if names.contains(&name) {
                builder.problem(
                    name_span.clone(),
                    format!("a second rule is named {name:?}; rule names must be unique"),
                );
            }
            names.push(name.clone());
            let conditions = build_conditions(&mut builder, &name, raw_rule.when, &mut queries);
            let actions = build_actions(&mut builder, raw_rule.then);
            let tests = raw_rule
                .tests
                .into_iter()
                .filter_map(|test| build_test(&mut builder, &name, test))
                .collect();
            rules.push(Rule {
                line: builder.line_of(&name_span),
                name,
                description: raw_rule.description,
                conditions,
                actions,
                tests,
            });
        }
        if !builder.problems.is_empty() {
            let mut problems = builder.problems;
            problems.sort_by_key(|p| (p.line, p.column));
            return Err(invalid(problems));
        }
        Ok(RuleSet::from_rules(rules, QuerySet::new(queries), offset))
    }
}

fn parse_offset(text: &str) -> Option<FixedOffset> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("z") || text.eq_ignore_ascii_case("utc") {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "0"));
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// Where the text of a string value starts in the file, when the value is a plain one-line string
/// (so a query's own character offsets can be mapped to file columns).
fn string_content_start(source: &str, span: &Range<usize>, value: &str) -> Option<usize> {
    let raw = source.get(span.clone())?;
    for quote in ["'''", "\"\"\"", "'", "\""] {
        if raw.starts_with(quote)
            && raw.ends_with(quote)
            && raw.len() >= 2 * quote.len()
            && &raw[quote.len()..raw.len() - quote.len()] == value
        {
            return Some(span.start + quote.len());
        }
    }
    None
}

fn build_conditions(
    builder: &mut Builder<'_>,
    rule: &str,
    when: RawWhen,
    queries: &mut Vec<(String, switchyard_query::Query)>,
) -> Vec<Condition> {
    let mut conditions = Vec::new();
    if let Some(query) = when.query {
        let span = query.span();
        let text = query.into_inner();
        match switchyard_query::parse(&text) {
            Ok(parsed) => {
                conditions.push(Condition::Query {
                    text: text.clone(),
                    index: queries.len(),
                });
                queries.push((rule.to_string(), parsed));
            }
            Err(error) => {
                let at = string_content_start(builder.source, &span, &text)
                    .map(|start| {
                        let byte: usize =
                            text.chars().take(error.position).map(char::len_utf8).sum();
                        start + byte
                    })
                    .unwrap_or(span.start);
                builder.problem(at..at, format!("rule {rule:?}: when.query: {error}"));
            }
        }
    }
    if let Some(value) = when.sentiment
        && let Some(condition) = sentiment_condition(builder, rule, value)
    {
        conditions.push(condition);
    }
    for (task, value) in [
        (LabelTask::Intent, when.intent),
        (LabelTask::Complaint, when.complaint),
        (LabelTask::Reason, when.reason),
        (LabelTask::Urgency, when.urgency),
        (LabelTask::Toxicity, when.toxicity),
    ] {
        if let Some(value) = value
            && let Some(condition) = label_condition(builder, rule, task, value)
        {
            conditions.push(condition);
        }
    }
    if let Some(value) = when.channel {
        let span = value.span();
        if let Some(names) = string_list(builder, rule, "channel", value) {
            let mut channels = Vec::new();
            for name in names {
                match name.parse::<Channel>() {
                    Ok(channel) => channels.push(channel),
                    Err(error) => builder.problem(
                        span.clone(),
                        format!("rule {rule:?}: when.channel: {error}"),
                    ),
                }
            }
            conditions.push(Condition::Channel(channels));
        }
    }
    if let Some(value) = when.language
        && let Some(languages) = string_list(builder, rule, "language", value)
    {
        conditions.push(Condition::Language(
            languages.iter().map(|l| l.to_ascii_lowercase()).collect(),
        ));
    }
    if let Some(limit) = when.followers_at_least {
        conditions.push(Condition::FollowersAtLeast(limit));
    }
    if let Some(limit) = when.followers_below {
        conditions.push(Condition::FollowersBelow(limit));
    }
    if let Some(verified) = when.verified {
        conditions.push(Condition::Verified(verified));
    }
    if let Some(is_reply) = when.is_reply {
        conditions.push(Condition::IsReply(is_reply));
    }
    if let Some(hours) = when.hours {
        match parse_hours(hours.get_ref()) {
            Some((start, end)) => conditions.push(Condition::Hours { start, end }),
            None => builder.problem(
                hours.span(),
                format!(
                    "rule {rule:?}: when.hours {:?} is not a window; write it like \"22:00-06:00\" (24-hour clock, in settings.utc_offset)",
                    hours.get_ref()
                ),
            ),
        }
    }
    if let Some(days) = when.days {
        let span = days.span();
        if let Some(names) = string_list(builder, rule, "days", days) {
            let mut mask = 0u8;
            for name in &names {
                match day_mask(name) {
                    Some(bits) => mask |= bits,
                    None => builder.problem(
                        span.clone(),
                        format!(
                            "rule {rule:?}: when.days: unknown day {name:?}; use mon, tue, wed, thu, fri, sat, sun, weekdays or weekends"
                        ),
                    ),
                }
            }
            conditions.push(Condition::Days(mask));
        }
    }
    conditions
}

fn day_mask(name: &str) -> Option<u8> {
    let bits = match name.trim().to_ascii_lowercase().as_str() {
        "mon" | "monday" => 1,
        "tue" | "tuesday" => 1 << 1,
        "wed" | "wednesday" => 1 << 2,
        "thu" | "thursday" => 1 << 3,
        "fri" | "friday" => 1 << 4,
        "sat" | "saturday" => 1 << 5,
        "sun" | "sunday" => 1 << 6,
        "weekdays" => 0b001_1111,
        "weekends" | "weekend" => 0b110_0000,
        _ => return None,
    };
    Some(bits)
}

fn parse_hours(text: &str) -> Option<(u32, u32)> {
    let (start, end) = text.split_once('-')?;
    let minutes = |clock: &str| -> Option<u32> {
        let (hours, minutes) = clock.trim().split_once(':')?;
        let hours: u32 = hours.parse().ok()?;
        let minutes: u32 = minutes.parse().ok()?;
        // 24:00 is allowed as an end of day.
        if minutes > 59 || hours > 24 || (hours == 24 && minutes != 0) {
            return None;
        }
        Some(hours * 60 + minutes)
    };
    let start = minutes(start)?;
    let end = minutes(end)?;
    if start == end || start >= 24 * 60 {
        return None;
    }
    Some((start, end))
}

fn string_list(
    builder: &mut Builder<'_>,
    rule: &str,
    key: &str,
    value: Spanned<toml::Value>,
) -> Option<Vec<String>> {
    let span = value.span();
    match value.into_inner() {
        toml::Value::String(text) => Some(vec![text]),
        toml::Value::Array(items) => {
            let mut list = Vec::new();
            for item in items {
                match item {
                    toml::Value::String(text) => list.push(text),
                    other => {
                        builder.problem(
                            span.clone(),
                            format!(
                                "rule {rule:?}: when.{key} lists a {}, expected strings",
                                other.type_str()
                            ),
                        );
                        return None;
                    }
                }
            }
            Some(list)
        }
        other => {
            builder.problem(
                span,
                format!(
                    "rule {rule:?}: when.{key} is a {}, expected a string or a list of strings",
                    other.type_str()
                ),
            );
            None
        }
    }
}

/// `sentiment = "negative"`, `["negative", "neutral"]`, or
/// `{ labels = [...], compound_below = -0.5, compound_above = 0.2, min_confidence = 0.6 }`.
fn sentiment_condition(
    builder: &mut Builder<'_>,
    rule: &str,
    value: Spanned<toml::Value>,
) -> Option<Condition> {
    let span = value.span();
    let known = "labels, compound_below, compound_above, min_confidence";
    match value.get_ref() {
        toml::Value::Table(table) => {
            let mut labels = Vec::new();
            let mut below = None;
            let mut above = None;
            let mut min_confidence = None;
            for (key, item) in table {
                match key.as_str() {
                    "labels" | "label" => match string_values(item) {
                        Some(list) => labels = list,
                        None => builder.problem(span.clone(), format!("rule {rule:?}: when.sentiment.{key} must be a string or a list of strings")),
                    },
                    "compound_below" | "compound_above" => match number(item) {
                        Some(limit) if (-1.0..=1.0).contains(&limit) => {
                            if key == "compound_below" {
                                below = Some(limit);
                            } else {
                                above = Some(limit);
                            }
                        }
                        _ => builder.problem(span.clone(), format!("rule {rule:?}: when.sentiment.{key} must be a number between -1 and 1")),
                    },
                    "min_confidence" => match number(item) {
                        Some(min) if (0.0..=1.0).contains(&min) => min_confidence = Some(min as f32),
                        _ => builder.problem(span.clone(), format!("rule {rule:?}: when.sentiment.min_confidence must be a number between 0 and 1")),
                    },
                    other => builder.problem(
                        span.clone(),
                        format!("rule {rule:?}: unknown key when.sentiment.{other}; known keys: {known}"),
                    ),
                }
            }
            let labels = checked_sentiment_labels(builder, rule, &span, labels)?;
            Some(Condition::Sentiment {
                labels,
                compound_below: below,
                compound_above: above,
                min_confidence,
            })
        }
        other => match string_values(other) {
            Some(labels) => {
                let labels = checked_sentiment_labels(builder, rule, &span, labels)?;
                Some(Condition::Sentiment {
                    labels,
                    compound_below: None,
                    compound_above: None,
                    min_confidence: None,
                })
            }
            None => {
                builder.problem(
                    span,
                    format!("rule {rule:?}: when.sentiment must be a label (\"negative\"), a list of labels, or a table with {known}"),
                );
                None
            }
        },
    }
}

fn checked_sentiment_labels(
    builder: &mut Builder<'_>,
    rule: &str,
    span: &Range<usize>,
    labels: Vec<String>,
) -> Option<Vec<String>> {
    let mut checked = Vec::new();
    for label in labels {
        let lower = label.trim().to_ascii_lowercase();
        if !matches!(lower.as_str(), "positive" | "neutral" | "negative") {
            builder.problem(
                span.clone(),
                format!("rule {rule:?}: unknown sentiment label {label:?}; expected positive, neutral or negative"),
            );
            return None;
        }
        checked.push(lower);
    }
    Some(checked)
}

/// `intent = "lead"`, `["lead", "question"]`, `{ labels = [...], min_confidence = 0.7 }`,
/// `{ not = [...] }`; for `complaint` also `true` / `false`.
fn label_condition(
    builder: &mut Builder<'_>,
    rule: &str,
    task: LabelTask,
    value: Spanned<toml::Value>,
) -> Option<Condition> {
    let span = value.span();
    let key = task.as_str();
    let yes: Vec<String> = COMPLAINT_YES.iter().map(|s| s.to_string()).collect();
    match value.get_ref() {
        toml::Value::Boolean(wanted) if task == LabelTask::Complaint => Some(Condition::Label {
            task,
            labels: yes,
            wanted: *wanted,
            min_confidence: None,
        }),
        toml::Value::Table(table) => {
            let mut labels = None;
            let mut wanted = true;
            let mut min_confidence = None;
            for (name, item) in table {
                match name.as_str() {
                    "labels" | "label" => labels = string_values(item),
                    "not" => {
                        labels = string_values(item);
                        wanted = false;
                    }
                    "is" if task == LabelTask::Complaint => {
                        if let toml::Value::Boolean(flag) = item {
                            labels = Some(yes.clone());
                            wanted = *flag;
                        }
                    }
                    "min_confidence" => match number(item) {
                        Some(min) if (0.0..=1.0).contains(&min) => {
                            min_confidence = Some(min as f32)
                        }
                        _ => {
                            builder.problem(span.clone(), format!("rule {rule:?}: when.{key}.min_confidence must be a number between 0 and 1"));
                            return None;
                        }
                    },
                    other => {
                        builder.problem(
                            span.clone(),
                            format!("rule {rule:?}: unknown key when.{key}.{other}; known keys: labels, not, min_confidence{}", if task == LabelTask::Complaint { ", is" } else { "" }),
                        );
                        return None;
                    }
                }
            }
            let Some(labels) = labels.filter(|l| !l.is_empty()) else {
                builder.problem(span, format!("rule {rule:?}: when.{key} needs `labels` (or `not`) with at least one label"));
                return None;
            };
            Some(Condition::Label {
                task,
                labels: labels.iter().map(|l| l.to_ascii_lowercase()).collect(),
                wanted,
                min_confidence,
            })
        }
        other => match string_values(other).filter(|l| !l.is_empty()) {
            Some(labels) => Some(Condition::Label {
                task,
                labels: labels.iter().map(|l| l.to_ascii_lowercase()).collect(),
                wanted: true,
                min_confidence: None,
            }),
            None => {
                builder.problem(
                    span,
                    format!(
                        "rule {rule:?}: when.{key} must be a label, a list of labels, or a table {{ labels = [...], min_confidence = 0.7 }}{}",
                        if task == LabelTask::Complaint { ", or true/false" } else { "" }
                    ),
                );
                None
            }
        },
    }
}

fn string_values(value: &toml::Value) -> Option<Vec<String>> {
    match value {
        toml::Value::String(text) => Some(vec![text.clone()]),
        toml::Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

fn number(value: &toml::Value) -> Option<f64> {
    match value {
        toml::Value::Float(x) => Some(*x),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

fn parse_priority(builder: &mut Builder<'_>, value: Spanned<String>) -> Option<Priority> {
    match value.get_ref().parse::<Priority>() {
        Ok(priority) => Some(priority),
        Err(message) => {
            builder.problem(value.span(), message);
            None
        }
    }
}

fn build_actions(builder: &mut Builder<'_>, then: RawThen) -> Actions {
    let queue = then.queue.and_then(|queue| {
        let name = queue.get_ref().trim().to_string();
        if name.is_empty() {
            builder.problem(queue.span(), "then.queue must not be empty");
            return None;
        }
        Some(name)
    });
    let priority = then.priority.and_then(|p| parse_priority(builder, p));
    Actions {
        queue,
        priority,
        tags: dedup(then.tags),
        sla: then.sla.filter(|s| !s.trim().is_empty()),
        alerts: dedup(then.alert),
        stop: then.stop,
    }
}

fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let item = item.trim().to_string();
        if !item.is_empty() && !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn build_test(builder: &mut Builder<'_>, rule: &str, test: Spanned<RawTest>) -> Option<RuleTest> {
    let span = test.span();
    let line = builder.line_of(&span);
    let test = test.into_inner();
    let channel = match &test.channel {
        None => Channel::X,
        Some(name) => match name.get_ref().parse::<Channel>() {
            Ok(channel) => channel,
            Err(error) => {
                builder.problem(name.span(), format!("rule {rule:?}: test channel: {error}"));
                return None;
            }
        },
    };
    let at = match &test.at {
        None => super::file::default_test_time(),
        Some(text) => match DateTime::parse_from_rfc3339(text.get_ref()) {
            Ok(at) => at.with_timezone(&Utc),
            Err(error) => {
                builder.problem(
                    text.span(),
                    format!("rule {rule:?}: test `at` {:?} is not an RFC 3339 time ({error}); write e.g. \"2026-01-05T23:30:00Z\"", text.get_ref()),
                );
                return None;
            }
        },
    };
    let expected_priority = match test.expect.priority {
        None => None,
        Some(priority) => Some(parse_priority(builder, priority)?),
    };
    let complaint = match test.analysis.complaint {
        None => None,
        Some(toml::Value::Boolean(true)) => Some("complaint".to_string()),
        Some(toml::Value::Boolean(false)) => Some("not_complaint".to_string()),
        Some(toml::Value::String(label)) => Some(label),
        Some(other) => {
            builder.problem(
                span,
                format!("rule {rule:?}: test analysis.complaint is a {}, expected true, false or a label", other.type_str()),
            );
            return None;
        }
    };
    let mut post = NewPost::new(
        channel,
        format!("rule-test:{rule}:{line}"),
        test.author.unwrap_or_else(|| "rule_tester".to_string()),
        test.text,
        at,
    );
    post.author = Author {
        followers: test.followers,
        verified: test.verified,
        ..post.author
    };
    post.language = test.language;
    post.parent_id = test.reply_to;
    Some(RuleTest {
        post,
        analysis: AnalysisOverrides {
            sentiment: test.analysis.sentiment,
            compound: test.analysis.compound,
            language: test.analysis.language,
            intent: test.analysis.intent,
            complaint,
            reason: test.analysis.reason,
            urgency: test.analysis.urgency,
            toxicity: test.analysis.toxicity,
            confidence: test.analysis.confidence,
        },
        at,
        expect: Expectation {
            queue: test.expect.queue,
            priority: expected_priority,
            tags: test.expect.tags,
            sla: test.expect.sla,
            alerts: test.expect.alerts,
            matched: test.expect.matched,
        },
        line,
    })
}
