//! CSV import: a column mapping (`CsvMapping`, loadable from TOML) and built-in presets for the
//! real layouts we meet (airline `Tweets.csv`, Customer Support on Twitter, complaints, CFPB,
//! and a canonical CSV whose columns are named like `NewPost`'s fields).

use super::{ImportError, ImportItem, Rejected};
use crate::text_position::line_column;
use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::BufRead;
use std::path::Path;
use std::str::FromStr;
use switchyard_domain::{Author, Channel, Engagement, NewPost, Visibility};

/// How a CSV column spells a time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TimeFormat {
    /// `2026-01-01T10:00:00Z`, `2026-01-01T10:00:00+02:00` (a space instead of `T` is accepted).
    #[default]
    Rfc3339,
    /// `Tue, 31 Oct 2017 22:10:47 +0000`.
    Rfc2822,
    /// X/Twitter's classic `Tue Oct 31 22:10:47 +0000 2017`.
    Twitter,
    /// Seconds since 1970 (fractions allowed).
    Unix,
    /// Milliseconds since 1970.
    UnixMillis,
    /// No time column: the time is taken from the X/Twitter snowflake id itself.
    Snowflake,
    /// A chrono `strftime` pattern, e.g. `%Y-%m-%d %H:%M:%S %z`. Without `%z` the time is UTC;
    /// a date-only pattern means midnight UTC.
    Pattern(String),
}

impl FromStr for TimeFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let format = match s.trim().to_ascii_lowercase().as_str() {
            "rfc3339" | "iso8601" | "iso" => TimeFormat::Rfc3339,
            "rfc2822" => TimeFormat::Rfc2822,
            "twitter" | "x" => TimeFormat::Twitter,
            "unix" | "epoch" => TimeFormat::Unix,
            "unix_ms" | "unix-ms" | "epoch_ms" => TimeFormat::UnixMillis,
            "snowflake" => TimeFormat::Snowflake,
            _ if s.contains('%') => TimeFormat::Pattern(s.to_string()),
            _ => {
                return Err(format!(
                    "unknown time format {s:?}; expected rfc3339, rfc2822, twitter, unix, unix_ms, snowflake or a strftime pattern such as \"%Y-%m-%d %H:%M:%S %z\""
                ));
            }
        };
        Ok(format)
    }
}

impl fmt::Display for TimeFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeFormat::Rfc3339 => f.write_str("rfc3339"),
            TimeFormat::Rfc2822 => f.write_str("rfc2822"),
            TimeFormat::Twitter => f.write_str("twitter"),
            TimeFormat::Unix => f.write_str("unix"),
            TimeFormat::UnixMillis => f.write_str("unix_ms"),
            TimeFormat::Snowflake => f.write_str("snowflake"),
            TimeFormat::Pattern(pattern) => f.write_str(pattern),
        }
    }
}

impl Serialize for TimeFormat {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeFormat {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The first X snowflake epoch (2010-11-04T01:42:54.657Z), in milliseconds since 1970.
const SNOWFLAKE_EPOCH_MS: i64 = 1_288_834_974_657;

/// The creation time encoded in an X/Twitter snowflake id.
pub fn snowflake_time(id: &str) -> Option<DateTime<Utc>> {
    let id: u64 = id.trim().parse().ok()?;
    // Ids below 2^32 predate snowflakes (sequential ids, 2006–2010) and encode no time.
    if id < (1u64 << 32) {
        return None;
    }
    let millis = (id >> 22) as i64 + SNOWFLAKE_EPOCH_MS;
    Utc.timestamp_millis_opt(millis).single()
}

impl TimeFormat {
    /// Parses `value` (or, for [`TimeFormat::Snowflake`], the post's `external_id`).
    pub fn parse(&self, value: &str, external_id: &str) -> Result<DateTime<Utc>, String> {
        self.parse_compiled(value, external_id, None)
    }

    /// [`TimeFormat::parse`], with a [`TimeFormat::Pattern`]'s items already parsed when
    /// `compiled` has them.
    fn parse_compiled(
        &self,
        value: &str,
        external_id: &str,
        compiled: Option<&(PatternKind, Vec<Item<'static>>)>,
    ) -> Result<DateTime<Utc>, String> {
        let value = value.trim();
        if value.is_empty() && *self != TimeFormat::Snowflake {
            return Err("created_at is empty".to_string());
        }
        let parsed = match self {
            TimeFormat::Rfc3339 => DateTime::parse_from_rfc3339(value)
                .or_else(|first_error| {
                    if value.len() > 10 && value.as_bytes()[10] == b' ' {
                        let with_t = format!("{}T{}", &value[..10], &value[11..]);
                        DateTime::parse_from_rfc3339(&with_t)
                    } else {
                        Err(first_error)
                    }
                })
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| e.to_string()),
            TimeFormat::Rfc2822 => DateTime::parse_from_rfc2822(value)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| e.to_string()),
            TimeFormat::Twitter => DateTime::parse_from_str(value, "%a %b %d %H:%M:%S %z %Y")
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| e.to_string()),
            TimeFormat::Unix => value
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite())
                .and_then(|seconds| Utc.timestamp_millis_opt((seconds * 1000.0) as i64).single())
                .ok_or_else(|| "expected seconds since 1970".to_string()),
            TimeFormat::UnixMillis => value
                .parse::<i64>()
                .ok()
                .and_then(|millis| Utc.timestamp_millis_opt(millis).single())
                .ok_or_else(|| "expected milliseconds since 1970".to_string()),
            TimeFormat::Snowflake => snowflake_time(external_id).ok_or_else(|| {
                format!("external id {external_id:?} is not an X snowflake id, so it carries no time; map a created_at column")
            }),
            TimeFormat::Pattern(pattern) => match compiled {
                Some((kind, items)) => kind.parse(value, items.iter()),
                None => parse_with_pattern(value, pattern),
            },
        };
        parsed.map_err(|why| format!("created_at {value:?} is not a {self} time: {why}"))
    }
}

/// What a strftime-style pattern describes, which decides how a parsed value becomes a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatternKind {
    /// A date and time with an offset (`%z` and friends).
    WithOffset,
    /// A date and time, taken as UTC.
    DateTime,
    /// A date only, at midnight UTC.
    Date,
}

impl PatternKind {
    fn of(pattern: &str) -> PatternKind {
        let has_offset = pattern.contains("%z")
            || pattern.contains("%:z")
            || pattern.contains("%#z")
            || pattern.contains("%::z");
        let has_time = ["%H", "%I", "%T", "%R", "%M", "%s"]
            .iter()
            .any(|token| pattern.contains(token));
        if has_offset {
            PatternKind::WithOffset
        } else if has_time {
            PatternKind::DateTime
        } else {
            PatternKind::Date
        }
    }

    /// `value` read with `items` (what chrono's `parse_from_str` functions do with a pattern's
    /// items, without parsing the pattern again).
    fn parse<'a>(
        self,
        value: &str,
        items: impl Iterator<Item = &'a Item<'a>>,
    ) -> Result<DateTime<Utc>, String> {
        let mut parsed = Parsed::new();
        chrono::format::parse(&mut parsed, value, items).map_err(|e| e.to_string())?;
        match self {
            PatternKind::WithOffset => parsed.to_datetime().map(|t| t.with_timezone(&Utc)),
            PatternKind::DateTime => parsed.to_naive_datetime_with_offset(0).map(|t| t.and_utc()),
            PatternKind::Date => parsed
                .to_naive_date()
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()),
        }
        .map_err(|e| e.to_string())
    }
}

fn parse_with_pattern(value: &str, pattern: &str) -> Result<DateTime<Utc>, String> {
    let items: Vec<Item<'_>> = StrftimeItems::new(pattern).collect();
    PatternKind::of(pattern).parse(value, items.iter())
}

/// A [`TimeFormat`] ready for many values: a pattern is parsed into chrono's items once (it was
/// parsed again for every row).
#[derive(Debug, Clone)]
struct CompiledTime {
    format: TimeFormat,
    /// The pattern's kind and items; `None` for the other formats and for a pattern chrono
    /// rejects (then every value gets [`TimeFormat::parse`]'s error).
    pattern: Option<(PatternKind, Vec<Item<'static>>)>,
}

impl CompiledTime {
    fn new(format: TimeFormat) -> CompiledTime {
        let pattern = match &format {
            TimeFormat::Pattern(pattern) => StrftimeItems::new(pattern)
                .parse_to_owned()
                .ok()
                .map(|items| (PatternKind::of(pattern), items)),
            _ => None,
        };
        CompiledTime { format, pattern }
    }

    /// The same result, and the same error, as [`TimeFormat::parse`].
    fn parse(&self, value: &str, external_id: &str) -> Result<DateTime<Utc>, String> {
        self.format
            .parse_compiled(value, external_id, self.pattern.as_ref())
    }
}

/// A permalink template (`{external_id}` and `{author}` placeholders) split once into its parts.
#[derive(Debug, Clone)]
struct PermalinkTemplate(Vec<TemplatePart>);

#[derive(Debug, Clone)]
enum TemplatePart {
    Text(String),
    ExternalId,
    Author,
}

impl PermalinkTemplate {
    fn new(template: &str) -> PermalinkTemplate {
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            let next = [
                ("{external_id}", TemplatePart::ExternalId),
                ("{author}", TemplatePart::Author),
            ]
            .into_iter()
            .filter_map(|(placeholder, part)| {
                rest.find(placeholder)
                    .map(|at| (at, placeholder.len(), part))
            })
            .min_by_key(|(at, _, _)| *at);
            match next {
                Some((at, len, part)) => {
                    if at > 0 {
                        parts.push(TemplatePart::Text(rest[..at].to_string()));
                    }
                    parts.push(part);
                    rest = &rest[at + len..];
                }
                None => {
                    parts.push(TemplatePart::Text(rest.to_string()));
                    rest = "";
                }
            }
        }
        PermalinkTemplate(parts)
    }

    fn fill(&self, external_id: &str, author: &str) -> String {
        let mut link = String::with_capacity(64 + external_id.len() + author.len());
        for part in &self.0 {
            link.push_str(match part {
                TemplatePart::Text(text) => text,
                TemplatePart::ExternalId => external_id,
                TemplatePart::Author => author,
            });
        }
        link
    }
}

/// Which CSV column feeds which post field. Column names are matched exactly (after trimming
/// spaces) against the header. Unmapped columns are kept in `meta` unless `keep_other_columns`
/// is false.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvMapping {
    /// Column with the channel's id of the post (required).
    pub external_id: String,
    /// Column with the post's text (required).
    pub text: String,
    /// Column with the author's handle; when absent every post gets `author_default`.
    #[serde(default)]
    pub author: Option<String>,
    /// The handle used when there is no author column or the cell is empty (default `unknown`).
    #[serde(default)]
    pub author_default: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Column with the creation time; may be absent only with `created_at_format = "snowflake"`.
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub created_at_format: TimeFormat,
    /// A fixed channel for every row (`x`, `mastodon`, `email`…); default `web`.
    #[serde(default)]
    pub channel: Option<String>,
    /// A column holding each row's channel name (wins over `channel`).
    #[serde(default)]
    pub channel_column: Option<String>,
    #[serde(default)]
    pub followers: Option<String>,
    #[serde(default)]
    pub verified: Option<String>,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub thread_id: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub permalink: Option<String>,
    /// A link built from the row, e.g. `https://x.com/{author}/status/{external_id}`.
    #[serde(default)]
    pub permalink_template: Option<String>,
    #[serde(default)]
    pub likes: Option<String>,
    #[serde(default)]
    pub shares: Option<String>,
    #[serde(default)]
    pub replies: Option<String>,
    #[serde(default)]
    pub views: Option<String>,
    /// `public` or `private` for every row; default: what the channel usually is.
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// One character; default `,`.
    #[serde(default)]
    pub delimiter: Option<char>,
    #[serde(default = "default_true")]
    pub keep_other_columns: bool,
}

fn default_true() -> bool {
    true
}

impl CsvMapping {
    /// A mapping with only the required columns; set the rest with struct update syntax.
    pub fn new(external_id: impl Into<String>, text: impl Into<String>) -> Self {
        CsvMapping {
            external_id: external_id.into(),
            text: text.into(),
            author: None,
            author_default: None,
            display_name: None,
            created_at: None,
            created_at_format: TimeFormat::Rfc3339,
            channel: None,
            channel_column: None,
            followers: None,
            verified: None,
            parent_id: None,
            thread_id: None,
            language: None,
            permalink: None,
            permalink_template: None,
            likes: None,
            shares: None,
            replies: None,
            views: None,
            visibility: None,
            delimiter: None,
            keep_other_columns: true,
        }
    }

    /// Parses a mapping from TOML text (top-level keys as in [`CsvMapping`]); `path` names the
    /// file in errors, which carry line and column.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Self, ImportError> {
        let mapping: CsvMapping = toml::from_str(text).map_err(|error| {
            let position = error
                .span()
                .map(|span| {
                    let (line, column) = line_column(text, span.start);
                    format!("line {line}, column {column}: ")
                })
                .unwrap_or_default();
            ImportError::Mapping {
                path: path.to_path_buf(),
                message: format!("{position}{}", error.message()),
            }
        })?;
        mapping.validate().map_err(|message| ImportError::Mapping {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(mapping)
    }

    /// Reads and parses a TOML mapping file.
    pub fn from_toml_file(path: &Path) -> Result<Self, ImportError> {
        let text = std::fs::read_to_string(path).map_err(|source| ImportError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text, path)
    }

    fn validate(&self) -> Result<(), String> {
        if let Some(channel) = &self.channel {
            channel
                .parse::<Channel>()
                .map_err(|e| format!("channel: {e}"))?;
        }
        if self.created_at.is_none() && self.created_at_format != TimeFormat::Snowflake {
            return Err(
                "no created_at column; name one, or set created_at_format = \"snowflake\" for X ids"
                    .to_string(),
            );
        }
        if let Some(delimiter) = self.delimiter
            && !delimiter.is_ascii()
        {
            return Err(format!(
                "delimiter {delimiter:?} must be a single ASCII character"
            ));
        }
        Ok(())
    }
}

/// The CSV layouts Switchyard knows by their header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CsvPreset {
    /// Kaggle "Twitter US Airline Sentiment" `Tweets.csv`: tweet_id, airline_sentiment, …,
    /// name, retweet_count, text, tweet_created (`2015-02-24 11:35:52 -0800`), …
    Airline,
    /// Kaggle "Customer Support on Twitter" `twcs.csv`: tweet_id, author_id, inbound, created_at
    /// (`Tue Oct 31 22:10:47 +0000 2017`), text, response_tweet_id, in_response_to_tweet_id.
    Twcs,
    /// Preoţiuc-Pietro et al. complaints: tweet_id, text, label, domain (time from the id).
    Complaints,
    /// CFPB consumer complaint narratives: complaint_id, date_received, product, …, narrative.
    Cfpb,
    /// Columns named like the canonical post: external_id, channel, author, text, created_at, …
    Canonical,
}

impl CsvPreset {
    pub const ALL: [CsvPreset; 5] = [
        CsvPreset::Airline,
        CsvPreset::Twcs,
        CsvPreset::Complaints,
        CsvPreset::Cfpb,
        CsvPreset::Canonical,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CsvPreset::Airline => "airline",
            CsvPreset::Twcs => "twcs",
            CsvPreset::Complaints => "complaints",
            CsvPreset::Cfpb => "cfpb",
            CsvPreset::Canonical => "canonical-csv",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "airline" | "tweets" => Some(CsvPreset::Airline),
            "twcs" | "customer-support-on-twitter" => Some(CsvPreset::Twcs),
            "complaints" => Some(CsvPreset::Complaints),
            "cfpb" => Some(CsvPreset::Cfpb),
            "canonical-csv" => Some(CsvPreset::Canonical),
            _ => None,
        }
    }

    /// The preset whose columns this header has, if any.
    pub fn detect(header: &[&str]) -> Option<CsvPreset> {
        let has = |name: &str| header.iter().any(|column| column.trim() == name);
        if has("tweet_id") && has("airline_sentiment") && has("tweet_created") && has("text") {
            return Some(CsvPreset::Airline);
        }
        if has("tweet_id") && has("author_id") && has("inbound") && has("created_at") {
            return Some(CsvPreset::Twcs);
        }
        if has("tweet_id") && has("text") && has("label") && has("domain") {
            return Some(CsvPreset::Complaints);
        }
        if has("complaint_id") && has("narrative") && has("date_received") {
            return Some(CsvPreset::Cfpb);
        }
        if has("external_id") && has("text") && has("created_at") && has("channel") {
            return Some(CsvPreset::Canonical);
        }
        None
    }

    /// The column mapping of this preset.
    pub fn mapping(self) -> CsvMapping {
        match self {
            CsvPreset::Airline => CsvMapping {
                author: Some("name".into()),
                created_at: Some("tweet_created".into()),
                created_at_format: TimeFormat::Pattern("%Y-%m-%d %H:%M:%S %z".into()),
                channel: Some("x".into()),
                shares: Some("retweet_count".into()),
                permalink_template: Some("https://x.com/{author}/status/{external_id}".into()),
                ..CsvMapping::new("tweet_id", "text")
            },
            CsvPreset::Twcs => CsvMapping {
                author: Some("author_id".into()),
                created_at: Some("created_at".into()),
                created_at_format: TimeFormat::Twitter,
                channel: Some("x".into()),
                parent_id: Some("in_response_to_tweet_id".into()),
                permalink_template: Some("https://x.com/i/web/status/{external_id}".into()),
                ..CsvMapping::new("tweet_id", "text")
            },
            CsvPreset::Complaints => CsvMapping {
                created_at_format: TimeFormat::Snowflake,
                channel: Some("x".into()),
                permalink_template: Some("https://x.com/i/web/status/{external_id}".into()),
                ..CsvMapping::new("tweet_id", "text")
            },
            CsvPreset::Cfpb => CsvMapping {
                author_default: Some("cfpb-consumer".into()),
                created_at: Some("date_received".into()),
                created_at_format: TimeFormat::Pattern("%Y-%m-%d".into()),
                channel: Some("web".into()),
                visibility: Some(Visibility::Public),
                ..CsvMapping::new("complaint_id", "narrative")
            },
            CsvPreset::Canonical => CsvMapping {
                author: Some("author".into()),
                created_at: Some("created_at".into()),
                channel_column: Some("channel".into()),
                display_name: Some("display_name".into()),
                followers: Some("followers".into()),
                verified: Some("verified".into()),
                parent_id: Some("parent_id".into()),
                thread_id: Some("thread_id".into()),
                language: Some("language".into()),
                permalink: Some("permalink".into()),
                likes: Some("likes".into()),
                shares: Some("shares".into()),
                replies: Some("replies".into()),
                views: Some("views".into()),
                ..CsvMapping::new("external_id", "text")
            },
        }
    }
}

/// A mapping bound to one header: column indexes instead of names.
#[derive(Debug, Clone)]
struct ResolvedMapping {
    external_id: usize,
    text: usize,
    author: Option<usize>,
    author_default: String,
    display_name: Option<usize>,
    created_at: Option<usize>,
    created_at_format: CompiledTime,
    channel: Channel,
    channel_column: Option<usize>,
    followers: Option<usize>,
    verified: Option<usize>,
    parent_id: Option<usize>,
    thread_id: Option<usize>,
    language: Option<usize>,
    permalink: Option<usize>,
    permalink_template: Option<PermalinkTemplate>,
    likes: Option<usize>,
    shares: Option<usize>,
    replies: Option<usize>,
    views: Option<usize>,
    visibility: Option<Visibility>,
    /// (index, name) of the columns copied into `meta`.
    other_columns: Vec<(usize, String)>,
    header_len: usize,
}

fn resolve(
    mapping: &CsvMapping,
    header: &[String],
    path: &Path,
    optional_columns: bool,
) -> Result<ResolvedMapping, ImportError> {
    let header_list = header.join(", ");
    let index_of = |name: &str| {
        header
            .iter()
            .position(|column| column.trim() == name.trim())
    };
    let required = |field: &'static str, name: &str| {
        index_of(name).ok_or_else(|| ImportError::MissingColumn {
            path: path.to_path_buf(),
            field,
            column: name.to_string(),
            header: header_list.clone(),
        })
    };
    // Optional columns of a mapping must exist unless the preset says they are optional.
    let optional =
        |field: &'static str, name: &Option<String>| -> Result<Option<usize>, ImportError> {
            match name {
                None => Ok(None),
                Some(name) => match index_of(name) {
                    Some(index) => Ok(Some(index)),
                    None if optional_columns => Ok(None),
                    None => Err(ImportError::MissingColumn {
                        path: path.to_path_buf(),
                        field,
                        column: name.clone(),
                        header: header_list.clone(),
                    }),
                },
            }
        };
    let channel = match &mapping.channel {
        Some(name) => name.parse::<Channel>().map_err(|e| ImportError::Mapping {
            path: path.to_path_buf(),
            message: format!("channel: {e}"),
        })?,
        None => Channel::Web,
    };
    let mut author = optional("author", &mapping.author)?;
    if author.is_none() && optional_columns {
        author = index_of("author_handle");
    }
    let resolved = ResolvedMapping {
        external_id: required("external_id", &mapping.external_id)?,
        text: required("text", &mapping.text)?,
        author,
        author_default: mapping
            .author_default
            .clone()
            .unwrap_or_else(|| "unknown".to_string()),
        display_name: optional("display_name", &mapping.display_name)?,
        created_at: match &mapping.created_at {
            Some(name) => Some(required("created_at", name)?),
            None => None,
        },
        created_at_format: CompiledTime::new(mapping.created_at_format.clone()),
        channel,
        channel_column: optional("channel_column", &mapping.channel_column)?,
        followers: optional("followers", &mapping.followers)?,
        verified: optional("verified", &mapping.verified)?,
        parent_id: optional("parent_id", &mapping.parent_id)?,
        thread_id: optional("thread_id", &mapping.thread_id)?,
        language: optional("language", &mapping.language)?,
        permalink: optional("permalink", &mapping.permalink)?,
        permalink_template: mapping
            .permalink_template
            .as_deref()
            .map(PermalinkTemplate::new),
        likes: optional("likes", &mapping.likes)?,
        shares: optional("shares", &mapping.shares)?,
        replies: optional("replies", &mapping.replies)?,
        views: optional("views", &mapping.views)?,
        visibility: mapping.visibility,
        other_columns: Vec::new(),
        header_len: header.len(),
    };
    if resolved.created_at.is_none() && resolved.created_at_format.format != TimeFormat::Snowflake {
        return Err(ImportError::Mapping {
            path: path.to_path_buf(),
            message: "no created_at column; name one, or use created_at_format = \"snowflake\""
                .to_string(),
        });
    }
    let mut resolved = resolved;
    if mapping.keep_other_columns {
        let used = resolved.used_columns();
        resolved.other_columns = header
            .iter()
            .enumerate()
            .filter(|(index, name)| !used.contains(index) && !name.trim().is_empty())
            .map(|(index, name)| (index, name.trim().to_string()))
            .collect();
    }
    Ok(resolved)
}

impl ResolvedMapping {
    fn used_columns(&self) -> Vec<usize> {
        let mut used = vec![self.external_id, self.text];
        used.extend(
            [
                self.author,
                self.display_name,
                self.created_at,
                self.channel_column,
                self.followers,
                self.verified,
                self.parent_id,
                self.thread_id,
                self.language,
                self.permalink,
                self.likes,
                self.shares,
                self.replies,
                self.views,
            ]
            .into_iter()
            .flatten(),
        );
        used
    }

    fn post_from_record(&self, record: &csv::StringRecord) -> Result<NewPost, String> {
        if record.len() != self.header_len {
            return Err(format!(
                "row has {} fields but the header has {}; check for an unquoted comma or a stray quote",
                record.len(),
                self.header_len
            ));
        }
        let cell = |index: usize| record.get(index).unwrap_or("");
        let optional_cell = |index: Option<usize>| {
            index
                .map(|i| cell(i).trim())
                .filter(|value| !value.is_empty())
        };
        let external_id = clean_id(cell(self.external_id))
            .map_err(|why| format!("external id: {why}"))?
            .ok_or("external id is empty")?;
        let text = cell(self.text);
        if text.trim().is_empty() {
            return Err(format!(
                "post {external_id}: text is empty; there is nothing to analyse"
            ));
        }
        let channel = match optional_cell(self.channel_column) {
            Some(name) => name.parse::<Channel>().map_err(|e| e.to_string())?,
            None => self.channel,
        };
        let created_at_value = self.created_at.map(cell).unwrap_or("");
        let created_at = self
            .created_at_format
            .parse(created_at_value, &external_id)?;
        let handle = optional_cell(self.author)
            .map(|h| h.trim_start_matches('@').to_string())
            .unwrap_or_else(|| self.author_default.clone());
        let author = Author {
            handle,
            display_name: optional_cell(self.display_name).map(str::to_string),
            followers: parse_count(optional_cell(self.followers), "followers")?,
            verified: match optional_cell(self.verified) {
                Some(value) => parse_bool(value).ok_or_else(|| {
                    format!("verified {value:?} is not a yes/no value (true, false, 1, 0)")
                })?,
                None => false,
            },
        };
        let engagement = Engagement {
            likes: parse_count(optional_cell(self.likes), "likes")?.unwrap_or(0),
            shares: parse_count(optional_cell(self.shares), "shares")?.unwrap_or(0),
            replies: parse_count(optional_cell(self.replies), "replies")?.unwrap_or(0),
            views: parse_count(optional_cell(self.views), "views")?,
        };
        let parent_id = match optional_cell(self.parent_id) {
            Some(value) => clean_id(value).map_err(|why| format!("parent id: {why}"))?,
            None => None,
        };
        let thread_id = match optional_cell(self.thread_id) {
            Some(value) => clean_id(value).map_err(|why| format!("thread id: {why}"))?,
            None => None,
        };
        let permalink = optional_cell(self.permalink)
            .map(str::to_string)
            .or_else(|| {
                self.permalink_template
                    .as_ref()
                    .map(|template| template.fill(&external_id, &author.handle))
            });
        let meta = if self.other_columns.is_empty() {
            serde_json::Value::Null
        } else {
            let mut map = serde_json::Map::new();
            for (index, name) in &self.other_columns {
                let value = cell(*index);
                if !value.trim().is_empty() {
                    map.insert(name.clone(), serde_json::Value::String(value.to_string()));
                }
            }
            if map.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::Value::Object(map)
            }
        };
        Ok(NewPost {
            channel,
            external_id,
            thread_id,
            parent_id,
            author,
            text: text.to_string(),
            language: optional_cell(self.language).map(str::to_ascii_lowercase),
            created_at,
            visibility: self
                .visibility
                .unwrap_or(if channel.is_public_by_default() {
                    Visibility::Public
                } else {
                    Visibility::Private
                }),
            permalink,
            engagement,
            meta,
        })
    }
}

/// Trims an id and undoes what spreadsheets and pandas do to numeric ids (`192625.0`).
/// Ids in scientific notation (`5.7e+17`) lost digits and are refused.
pub(crate) fn clean_id(value: &str) -> Result<Option<String>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if let Some(integer) = value.strip_suffix(".0")
        && !integer.is_empty()
        && integer.bytes().all(|b| b.is_ascii_digit())
    {
        return Ok(Some(integer.to_string()));
    }
    let lower = value.to_ascii_lowercase();
    if (lower.contains("e+") || lower.contains("e1"))
        && lower
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+'))
    {
        return Err(format!(
            "{value:?} is in scientific notation, so digits were lost (a spreadsheet did this); export ids as text"
        ));
    }
    Ok(Some(value.to_string()))
}

fn parse_count(value: Option<&str>, what: &str) -> Result<Option<u64>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    let digits = value.strip_suffix(".0").unwrap_or(value).replace('_', "");
    digits
        .parse::<u64>()
        .map(Some)
        .map_err(|_| format!("{what} {value:?} is not a whole number"))
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// Posts from CSV rows; one rejection per bad row, the rest carry on.
pub(crate) struct CsvPosts<R> {
    reader: Option<csv::Reader<R>>,
    mapping: Option<ResolvedMapping>,
    record: csv::StringRecord,
}

impl<R: BufRead> Iterator for CsvPosts<R> {
    type Item = ImportItem;

    fn next(&mut self) -> Option<ImportItem> {
        let reader = self.reader.as_mut()?;
        let mapping = self.mapping.as_ref()?;
        match reader.read_record(&mut self.record) {
            Ok(false) => {
                self.reader = None;
                None
            }
            Ok(true) => {
                let line = self.record.position().map(|p| p.line()).unwrap_or(0);
                Some(
                    mapping
                        .post_from_record(&self.record)
                        .map_err(|reason| Rejected::new(line, reason)),
                )
            }
            Err(error) => {
                let line = error.position().map(|p| p.line()).unwrap_or(0);
                match error.kind() {
                    csv::ErrorKind::Io(io_error) => {
                        let reason =
                            format!("read error, nothing after this line was read: {io_error}");
                        self.reader = None;
                        Some(Err(Rejected::new(line, reason)))
                    }
                    csv::ErrorKind::Utf8 { err, .. } => Some(Err(Rejected::new(
                        line,
                        format!(
                            "invalid UTF-8 in field {}; save the file as UTF-8",
                            err.field() + 1
                        ),
                    ))),
                    _ => Some(Err(Rejected::new(line, error.to_string()))),
                }
            }
        }
    }
}

/// Opens a CSV stream: reads the header, picks the preset when `mapping` is `None`, and binds
/// the mapping's column names to positions.
pub(crate) fn read_csv<R: BufRead>(
    source: R,
    path: &Path,
    mapping: Option<CsvMapping>,
) -> Result<CsvPosts<R>, ImportError> {
    let is_tsv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    let delimiter = mapping
        .as_ref()
        .and_then(|m| m.delimiter)
        .map(|c| c as u8)
        .unwrap_or(if is_tsv { b'\t' } else { b',' });
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .delimiter(delimiter)
        .from_reader(source);
    let header: Vec<String> = reader
        .headers()
        .map_err(|error| ImportError::BadHeader {
            path: path.to_path_buf(),
            message: format!("{error}"),
        })?
        .iter()
        .map(str::to_string)
        .collect();
    if header.iter().all(|column| column.trim().is_empty()) {
        // An empty file: nothing to read, nothing wrong.
        return Ok(CsvPosts {
            reader: None,
            mapping: None,
            record: csv::StringRecord::new(),
        });
    }
    let (mapping, optional_columns) = match mapping {
        Some(mapping) => (mapping, false),
        None => {
            let names: Vec<&str> = header.iter().map(String::as_str).collect();
            let preset = CsvPreset::detect(&names).ok_or_else(|| ImportError::NoCsvPreset {
                path: path.to_path_buf(),
                header: header.join(", "),
            })?;
            (preset.mapping(), preset == CsvPreset::Canonical)
        }
    };
    let resolved = resolve(&mapping, &header, path, optional_columns)?;
    Ok(CsvPosts {
        reader: Some(reader),
        mapping: Some(resolved),
        record: csv::StringRecord::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// chrono's `parse_from_str` functions, as `TimeFormat::Pattern` called them before the
    /// pattern was compiled once per import.
    fn parse_from_str_reference(value: &str, pattern: &str) -> Result<DateTime<Utc>, String> {
        use chrono::{NaiveDate, NaiveDateTime};
        match PatternKind::of(pattern) {
            PatternKind::WithOffset => DateTime::parse_from_str(value, pattern)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| e.to_string()),
            PatternKind::DateTime => NaiveDateTime::parse_from_str(value, pattern)
                .map(|t| t.and_utc())
                .map_err(|e| e.to_string()),
            PatternKind::Date => NaiveDate::parse_from_str(value, pattern)
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
                .map_err(|e| e.to_string()),
        }
    }

    #[test]
    fn compiled_patterns_parse_like_chrono_and_like_every_time_format() {
        let patterns = [
            "%Y-%m-%d %H:%M:%S %z",
            "%Y-%m-%d %H:%M:%S",
            "%d/%m/%Y %H:%M",
            "%Y-%m-%d",
            "%s",
            "%Q not a pattern %",
        ];
        let values = [
            "2015-02-24 11:35:52 -0800",
            "2015-02-24 11:35:52",
            "24/02/2015 11:35",
            "2015-02-24",
            "1424806552",
            "",
            "  ",
            "yesterday",
            "2015-02-30",
            "2015-02-24 25:00:00 +0000",
        ];
        for pattern in patterns {
            let format = TimeFormat::Pattern(pattern.into());
            let compiled = CompiledTime::new(format.clone());
            for value in values {
                assert_eq!(
                    compiled.parse(value, "1"),
                    format.parse(value, "1"),
                    "{pattern:?} on {value:?}"
                );
                if !value.trim().is_empty() {
                    assert_eq!(
                        parse_with_pattern(value.trim(), pattern),
                        parse_from_str_reference(value.trim(), pattern),
                        "{pattern:?} on {value:?}"
                    );
                }
            }
        }
        for format in [TimeFormat::Twitter, TimeFormat::Rfc3339, TimeFormat::Unix] {
            let compiled = CompiledTime::new(format.clone());
            assert!(compiled.pattern.is_none());
            for value in values {
                assert_eq!(compiled.parse(value, "1"), format.parse(value, "1"));
            }
        }
    }

    #[test]
    fn permalink_templates_fill_every_placeholder() {
        let cases = [
            (
                "https://x.com/{author}/status/{external_id}",
                "https://x.com/amy/status/42",
            ),
            (
                "https://x.com/i/web/status/{external_id}",
                "https://x.com/i/web/status/42",
            ),
            ("{external_id}{author}{external_id}", "42amy42"),
            ("no placeholder", "no placeholder"),
            ("{author", "{author"),
            ("", ""),
        ];
        for (template, expected) in cases {
            assert_eq!(PermalinkTemplate::new(template).fill("42", "amy"), expected);
            assert_eq!(
                template
                    .replace("{external_id}", "42")
                    .replace("{author}", "amy"),
                expected
            );
        }
    }

    #[test]
    fn time_formats_of_the_real_layouts_parse() {
        let airline = TimeFormat::Pattern("%Y-%m-%d %H:%M:%S %z".into());
        assert_eq!(
            airline
                .parse("2015-02-24 11:35:52 -0800", "1")
                .unwrap()
                .to_rfc3339(),
            "2015-02-24T19:35:52+00:00"
        );
        assert_eq!(
            TimeFormat::Twitter
                .parse("Tue Oct 31 22:10:47 +0000 2017", "1")
                .unwrap()
                .to_rfc3339(),
            "2017-10-31T22:10:47+00:00"
        );
        let date = TimeFormat::Pattern("%Y-%m-%d".into());
        assert_eq!(
            date.parse("2023-06-27", "1").unwrap().to_rfc3339(),
            "2023-06-27T00:00:00+00:00"
        );
        assert_eq!(
            TimeFormat::Rfc3339
                .parse("2026-01-01 10:00:00+02:00", "1")
                .unwrap()
                .to_rfc3339(),
            "2026-01-01T08:00:00+00:00"
        );
        let err = TimeFormat::Twitter.parse("yesterday", "1").unwrap_err();
        assert!(
            err.contains("yesterday") && err.contains("twitter"),
            "{err}"
        );
    }

    #[test]
    fn snowflake_ids_carry_their_time() {
        // A real tweet id from the airline set, posted 2015-02-24 11:35:52 -0800.
        let time = snowflake_time("570306133677760513").unwrap();
        assert_eq!(time.to_rfc3339(), "2015-02-24T19:35:52.701+00:00");
        assert!(snowflake_time("12345").is_none());
        assert!(snowflake_time("abc").is_none());
    }

    #[test]
    fn ids_mangled_by_tools_are_cleaned_or_refused() {
        assert_eq!(clean_id(" 192625.0 ").unwrap().as_deref(), Some("192625"));
        assert_eq!(clean_id("").unwrap(), None);
        assert!(clean_id("5.70306E+17").is_err());
        assert_eq!(clean_id("<a@b>").unwrap().as_deref(), Some("<a@b>"));
    }

    #[test]
    fn presets_are_detected_from_the_real_headers() {
        let airline = "tweet_id,airline_sentiment,airline_sentiment_confidence,negativereason,negativereason_confidence,airline,airline_sentiment_gold,name,negativereason_gold,retweet_count,text,tweet_coord,tweet_created,tweet_location,user_timezone";
        let twcs =
            "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id";
        let complaints = "tweet_id,text,label,domain";
        let cfpb = "complaint_id,date_received,product,sub_product,issue,sub_issue,narrative,company,company_response,timely";
        for (header, preset) in [
            (airline, CsvPreset::Airline),
            (twcs, CsvPreset::Twcs),
            (complaints, CsvPreset::Complaints),
            (cfpb, CsvPreset::Cfpb),
        ] {
            let names: Vec<&str> = header.split(',').collect();
            assert_eq!(CsvPreset::detect(&names), Some(preset));
        }
        assert_eq!(CsvPreset::detect(&["id", "body"]), None);
    }

    #[test]
    fn mapping_toml_errors_have_line_and_column_and_known_keys() {
        let text =
            "external_id = \"id\"\ntext = \"body\"\ncreated_at = \"when\"\nfollowrs = \"f\"\n";
        let err = CsvMapping::from_toml_str(text, Path::new("map.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("map.toml") && err.contains("line 4"), "{err}");
        assert!(
            err.contains("followrs") && err.contains("followers"),
            "{err}"
        );

        let text = "external_id = \"id\"\ntext = \"body\"\ncreated_at = \"when\"\ncreated_at_format = \"sometime\"\n";
        let err = CsvMapping::from_toml_str(text, Path::new("map.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 4") && err.contains("strftime"), "{err}");

        let text = "external_id = \"id\"\ntext = \"body\"\n";
        let err = CsvMapping::from_toml_str(text, Path::new("map.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("snowflake"), "{err}");
    }
}
