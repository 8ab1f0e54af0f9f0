//! The parsed form of a listening query: a small Boolean expression tree that the matcher runs
//! against each post and that the store translates into a full-text query plus a post-filter.
//!
//! Conventions every consumer relies on:
//! - Every word string (in [`Expr::Term`], [`Expr::Phrase`], [`Expr::Prefix`]) is already folded:
//!   lowercase, diacritics removed, exactly as [`crate::tokenize`] folds post text.
//! - A word starting with `#` matches only hashtags, one starting with `@` only mentions; a word
//!   without a sigil matches any token with that text (so `delta` also finds `#delta` and `@delta`).
//!   A full-text index that does not keep hashtags apart can strip the sigil and post-filter.
//! - [`Expr::Near`] operands are always [`Expr::Term`], [`Expr::Phrase`] or [`Expr::Prefix`].
//! - [`Expr::And`] and [`Expr::Or`] always have at least two children and are flattened
//!   (an `And` never directly holds another `And`).
//!
//! `Display` writes the canonical query text; parsing it gives back the same expression.

use serde::{Deserialize, Serialize};
use std::fmt;
use switchyard_domain::Channel;

/// A parsed query: its expression and the text it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    pub expr: Expr,
    /// The query exactly as the user wrote it.
    pub source: String,
}

/// One node of a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expr {
    /// Every child matches (`a b`, `a AND b`).
    And(Vec<Expr>),
    /// At least one child matches (`a OR b`).
    Or(Vec<Expr>),
    /// The child does not match (`NOT a`, `-a`).
    Not(Box<Expr>),
    /// One folded word token (`late`, `#delta`, `@united`).
    Term(String),
    /// Consecutive tokens (`"lost luggage"`); always two words or more.
    Phrase(Vec<String>),
    /// Both sides occur with at most `distance` tokens between them, in either order
    /// (`refund NEAR/3 "credit card"`).
    Near {
        left: Box<Expr>,
        right: Box<Expr>,
        distance: u32,
    },
    /// A token starting with these characters (`deliver*`); stored without the `*`.
    Prefix(String),
    /// A condition on the post's metadata or analysis (`lang:en`, `followers:>1000`).
    Field(FieldFilter),
}

/// A condition on something other than the words of the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldFilter {
    /// `author:handle`: the author's handle, folded, without `@`.
    Author(String),
    /// `channel:mastodon`.
    Channel(Channel),
    /// `lang:en`: the detected language (or, without analysis, the one the source declared).
    Language(String),
    /// `sentiment:negative`, `intent:complaint`, …: the label an analysis task gave (folded).
    Label { task: LabelTask, label: String },
    /// `followers:>1000`: the author's follower count lies in this range.
    Followers(CountRange),
    /// `has:link`, `has:mention`, `has:hashtag`.
    Has(HasFeature),
    /// `is:reply`, `is:verified`, `is:public`, `is:private`.
    Is(PostFlag),
}

/// The analysis tasks whose labels queries can test (names as in `Analysis::label`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelTask {
    Sentiment,
    Complaint,
    Intent,
    Reason,
    Urgency,
    Toxicity,
}

impl LabelTask {
    /// Every task, in the order they are listed in help texts.
    pub const ALL: [LabelTask; 6] = [
        LabelTask::Sentiment,
        LabelTask::Complaint,
        LabelTask::Intent,
        LabelTask::Reason,
        LabelTask::Urgency,
        LabelTask::Toxicity,
    ];

    /// The task name, as used by `Analysis::label` and as the query field name.
    pub fn as_str(self) -> &'static str {
        match self {
            LabelTask::Sentiment => "sentiment",
            LabelTask::Complaint => "complaint",
            LabelTask::Intent => "intent",
            LabelTask::Reason => "reason",
            LabelTask::Urgency => "urgency",
            LabelTask::Toxicity => "toxicity",
        }
    }
}

/// An inclusive range of counts; `None` means unbounded on that side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountRange {
    pub min: Option<u64>,
    pub max: Option<u64>,
}

impl CountRange {
    /// Whether `value` lies inside the range.
    pub fn contains(&self, value: u64) -> bool {
        self.min.is_none_or(|min| value >= min) && self.max.is_none_or(|max| value <= max)
    }
}

/// Things a post can contain (`has:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HasFeature {
    Link,
    Mention,
    Hashtag,
}

impl HasFeature {
    pub const ALL: [HasFeature; 3] = [HasFeature::Link, HasFeature::Mention, HasFeature::Hashtag];

    pub fn as_str(self) -> &'static str {
        match self {
            HasFeature::Link => "link",
            HasFeature::Mention => "mention",
            HasFeature::Hashtag => "hashtag",
        }
    }
}

/// Yes/no properties of a post (`is:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostFlag {
    Reply,
    Verified,
    Public,
    Private,
}

impl PostFlag {
    pub const ALL: [PostFlag; 4] = [
        PostFlag::Reply,
        PostFlag::Verified,
        PostFlag::Public,
        PostFlag::Private,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostFlag::Reply => "reply",
            PostFlag::Verified => "verified",
            PostFlag::Public => "public",
            PostFlag::Private => "private",
        }
    }
}

impl Expr {
    /// Whether this node is a text operand `NEAR` accepts (term, phrase or prefix).
    pub fn is_proximity_operand(&self) -> bool {
        matches!(self, Expr::Term(_) | Expr::Phrase(_) | Expr::Prefix(_))
    }

    /// Whether the expression looks at the words of the text anywhere (otherwise it is only
    /// field filters, which a store can answer with SQL alone).
    pub fn has_text(&self) -> bool {
        match self {
            Expr::And(children) | Expr::Or(children) => children.iter().any(Expr::has_text),
            Expr::Not(child) => child.has_text(),
            Expr::Term(_) | Expr::Phrase(_) | Expr::Near { .. } | Expr::Prefix(_) => true,
            Expr::Field(_) => false,
        }
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn write_grouped(f: &mut fmt::Formatter<'_>, expr: &Expr) -> fmt::Result {
    if matches!(expr, Expr::And(_) | Expr::Or(_)) {
        write!(f, "({expr})")
    } else {
        write!(f, "{expr}")
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(children) => {
                for (index, child) in children.iter().enumerate() {
                    if index > 0 {
                        f.write_str(" AND ")?;
                    }
                    if matches!(child, Expr::Or(_)) {
                        write!(f, "({child})")?;
                    } else {
                        write!(f, "{child}")?;
                    }
                }
                Ok(())
            }
            Expr::Or(children) => {
                for (index, child) in children.iter().enumerate() {
                    if index > 0 {
                        f.write_str(" OR ")?;
                    }
                    write!(f, "{child}")?;
                }
                Ok(())
            }
            Expr::Not(child) => {
                f.write_str("NOT ")?;
                write_grouped(f, child)
            }
            Expr::Term(word) => f.write_str(word),
            Expr::Phrase(words) => write!(f, "\"{}\"", words.join(" ")),
            Expr::Near {
                left,
                right,
                distance,
            } => write!(f, "{left} NEAR/{distance} {right}"),
            Expr::Prefix(stem) => write!(f, "{stem}*"),
            Expr::Field(filter) => write!(f, "{filter}"),
        }
    }
}

fn write_value(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| !c.is_whitespace() && !matches!(c, '"' | '(' | ')'));
    if plain {
        f.write_str(value)
    } else {
        write!(f, "\"{value}\"")
    }
}

impl fmt::Display for FieldFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldFilter::Author(handle) => {
                f.write_str("author:")?;
                write_value(f, handle)
            }
            FieldFilter::Channel(channel) => write!(f, "channel:{channel}"),
            FieldFilter::Language(language) => {
                f.write_str("lang:")?;
                write_value(f, language)
            }
            FieldFilter::Label { task, label } => {
                write!(f, "{}:", task.as_str())?;
                write_value(f, label)
            }
            FieldFilter::Followers(range) => write!(f, "followers:{range}"),
            FieldFilter::Has(feature) => write!(f, "has:{}", feature.as_str()),
            FieldFilter::Is(flag) => write!(f, "is:{}", flag.as_str()),
        }
    }
}

impl fmt::Display for CountRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.min, self.max) {
            (Some(min), Some(max)) if min == max => write!(f, "{min}"),
            (Some(min), Some(max)) => write!(f, "{min}..{max}"),
            (Some(min), None) => write!(f, ">={min}"),
            (None, Some(max)) => write!(f, "<={max}"),
            (None, None) => f.write_str(">=0"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON shape is what the store, the API and saved searches exchange; keep it stable.
    #[test]
    fn json_shape_is_stable() {
        let query =
            crate::parse("delta -refund a NEAR/3 b sentiment:neg followers:>10 channel:x").unwrap();
        let json = serde_json::to_string(&query.expr).unwrap();
        assert_eq!(
            json,
            r#"{"and":[{"term":"delta"},{"not":{"term":"refund"}},{"near":{"left":{"term":"a"},"right":{"term":"b"},"distance":3}},{"field":{"label":{"task":"sentiment","label":"negative"}}},{"field":{"followers":{"min":11,"max":null}}},{"field":{"channel":"x"}}]}"#
        );
        let back: Expr = serde_json::from_str(&json).unwrap();
        assert_eq!(back, query.expr);
    }

    #[test]
    fn has_text_tells_field_only_queries_apart() {
        assert!(crate::parse("delta lang:en").unwrap().expr.has_text());
        assert!(!crate::parse("lang:en -is:reply").unwrap().expr.has_text());
    }
}
