//! Bulk import: readers that turn files (canonical JSONL, mapped CSV, X API v2 JSON, Mastodon
//! status JSON) into streams of [`NewPost`]s, with one [`Rejected`] per bad record and the rest
//! carrying on. See `docs/import.md` for the formats.

pub mod csv;
mod documents;
mod html;
mod jsonl;
mod mastodon;
mod x_api;

pub use self::csv::{CsvMapping, CsvPreset, TimeFormat};
pub use html::html_to_text;

use serde::Serialize;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use switchyard_domain::NewPost;

/// The names [`ImportFormat::from_str`] accepts, for error messages and `--help`.
pub const FORMAT_NAMES: &str =
    "jsonl, csv, airline, twcs, complaints, cfpb, x-api-v2 (alias x), mastodon";

/// One record that could not become a post, and why. `line` is 1-based in the source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    pub line: u64,
    pub reason: String,
}

impl Rejected {
    pub fn new(line: u64, reason: impl Into<String>) -> Self {
        Rejected {
            line,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// What one record of an import file turned into.
pub type ImportItem = Result<NewPost, Rejected>;

/// How to read a file. `Csv` picks a preset from the header; `CsvMapped` uses your own mapping.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportFormat {
    /// One canonical [`NewPost`] JSON object per line.
    Jsonl,
    /// CSV whose header matches one of the [`CsvPreset`]s (detected from the header).
    Csv,
    /// CSV in a known layout.
    CsvPreset(CsvPreset),
    /// CSV read with an explicit column mapping (e.g. loaded with [`CsvMapping::from_toml_file`]).
    CsvMapped(Arc<CsvMapping>),
    /// X API v2 responses: `{"data": [...], "includes": {"users": [...]}}`, one or many.
    XApiV2,
    /// Mastodon `Status` JSON as the REST API returns it: an array, one status, or lines of them.
    Mastodon,
}

impl ImportFormat {
    /// CSV read with your own column mapping.
    pub fn from_mapping(mapping: CsvMapping) -> Self {
        ImportFormat::CsvMapped(Arc::new(mapping))
    }

    /// The short name, as accepted by [`FromStr`].
    pub fn name(&self) -> &'static str {
        match self {
            ImportFormat::Jsonl => "jsonl",
            ImportFormat::Csv => "csv",
            ImportFormat::CsvPreset(preset) => preset.name(),
            ImportFormat::CsvMapped(_) => "csv (mapped)",
            ImportFormat::XApiV2 => "x-api-v2",
            ImportFormat::Mastodon => "mastodon",
        }
    }
}

impl fmt::Display for ImportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that is not one of [`FORMAT_NAMES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown import format {0:?}; expected one of: {FORMAT_NAMES}")]
pub struct UnknownFormat(pub String);

impl FromStr for ImportFormat {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let format = match lower.as_str() {
            "jsonl" | "ndjson" | "json-lines" | "canonical" => ImportFormat::Jsonl,
            "csv" => ImportFormat::Csv,
            "x" | "x-api-v2" | "x-api" | "twitter-api-v2" | "xapi" => ImportFormat::XApiV2,
            "mastodon" | "mastodon-json" => ImportFormat::Mastodon,
            other => {
                let preset_name = other.strip_prefix("csv:").unwrap_or(other);
                match CsvPreset::from_name(preset_name) {
                    Some(preset) => ImportFormat::CsvPreset(preset),
                    None => return Err(UnknownFormat(s.to_string())),
                }
            }
        };
        Ok(format)
    }
}

/// Why a file could not be read at all (as opposed to single bad records, which are [`Rejected`]).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot open {path}: {source}; check that the file exists and is readable")]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot tell the format of {path}: {why}; name it explicitly, one of: {FORMAT_NAMES}")]
    UndetectedFormat { path: PathBuf, why: String },
    #[error(
        "{path}: the CSV header ({header}) matches no built-in preset (airline, twcs, complaints, cfpb, canonical); pass a column mapping file (see docs/import.md) or name a preset"
    )]
    NoCsvPreset { path: PathBuf, header: String },
    #[error(
        "{path}: the CSV mapping needs column {column:?} for `{field}`, but the header has only: {header}; fix the mapping or pick another format"
    )]
    MissingColumn {
        path: PathBuf,
        field: &'static str,
        column: String,
        header: String,
    },
    #[error("{path}: cannot read the CSV header: {message}")]
    BadHeader { path: PathBuf, message: String },
    #[error("column mapping {path}: {message}")]
    Mapping { path: PathBuf, message: String },
}

/// A stream of import records plus the format they were read as.
pub struct Records {
    format: ImportFormat,
    items: Box<dyn Iterator<Item = ImportItem> + Send>,
}

impl Records {
    pub fn new(format: ImportFormat, items: Box<dyn Iterator<Item = ImportItem> + Send>) -> Self {
        Records { format, items }
    }

    /// The format the file is being read as (after detection).
    pub fn format(&self) -> &ImportFormat {
        &self.format
    }
}

impl Iterator for Records {
    type Item = ImportItem;

    fn next(&mut self) -> Option<ImportItem> {
        self.items.next()
    }
}

impl fmt::Debug for Records {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Records")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

const BUFFER_BYTES: usize = 256 * 1024;

/// Opens `path` and reads it as `format`, or detects the format from the extension and the first
/// bytes when `format` is `None`.
pub fn open_path(path: &Path, format: Option<&ImportFormat>) -> Result<Records, ImportError> {
    let file = File::open(path).map_err(|source| ImportError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(ImportError::Open {
            path: path.to_path_buf(),
            source: io::Error::other("it is a directory, not a file"),
        });
    }
    let reader = BufReader::with_capacity(BUFFER_BYTES, file);
    read(reader, path, format)
}

/// Reads an already open source; `name` is used for detection (its extension) and messages.
pub fn read<R: BufRead + Send + 'static>(
    mut reader: R,
    name: &Path,
    format: Option<&ImportFormat>,
) -> Result<Records, ImportError> {
    skip_bom(&mut reader).map_err(|source| ImportError::Read {
        path: name.to_path_buf(),
        source,
    })?;
    let format = match format {
        Some(format) => format.clone(),
        None => {
            let peek = reader.fill_buf().map_err(|source| ImportError::Read {
                path: name.to_path_buf(),
                source,
            })?;
            detect(name, peek)?
        }
    };
    let items: Box<dyn Iterator<Item = ImportItem> + Send> = match &format {
        ImportFormat::Jsonl => Box::new(jsonl::JsonlReader::new(reader)),
        ImportFormat::Csv => Box::new(self::csv::read_csv(reader, name, None)?),
        ImportFormat::CsvPreset(preset) => {
            let mapping = preset.mapping();
            Box::new(self::csv::read_csv(reader, name, Some(mapping))?)
        }
        ImportFormat::CsvMapped(mapping) => Box::new(self::csv::read_csv(
            reader,
            name,
            Some(mapping.as_ref().clone()),
        )?),
        ImportFormat::XApiV2 => Box::new(documents::DocumentPosts::new(
            reader,
            x_api::posts_from_document,
        )),
        ImportFormat::Mastodon => Box::new(documents::DocumentPosts::new(
            reader,
            mastodon::posts_from_document,
        )),
    };
    Ok(Records::new(format, items))
}

fn skip_bom<R: BufRead>(reader: &mut R) -> io::Result<()> {
    let buffer = reader.fill_buf()?;
    if buffer.starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.consume(3);
    }
    Ok(())
}

/// Guesses a file's format from its extension and its first bytes.
pub fn detect(name: &Path, first_bytes: &[u8]) -> Result<ImportFormat, ImportError> {
    let extension = name
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    let first = first_bytes
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace());
    let undetected = |why: String| ImportError::UndetectedFormat {
        path: name.to_path_buf(),
        why,
    };
    let Some(first) = first else {
        // An empty file reads as zero records in any format; pick one that says so plainly.
        return Ok(match extension.as_str() {
            "csv" | "tsv" => ImportFormat::Csv,
            _ => ImportFormat::Jsonl,
        });
    };
    if first == b'{' || first == b'[' {
        return sniff_json(first_bytes).ok_or_else(|| {
            undetected(
                "it looks like JSON but has none of the keys of a canonical post (external_id, channel), an X API v2 response (data, includes) or a Mastodon status (account, content)".to_string(),
            )
        });
    }
    let first_line = first_bytes
        .split(|b| *b == b'\n')
        .next()
        .unwrap_or_default();
    let plain_text_name = matches!(extension.as_str(), "" | "txt" | "dat");
    if matches!(extension.as_str(), "csv" | "tsv")
        || (plain_text_name && first_line.contains(&b','))
    {
        return Ok(ImportFormat::Csv);
    }
    Err(undetected(format!(
        "the extension {:?} is not one we know and the first line is neither JSON nor a CSV header",
        extension
    )))
}

fn sniff_json(first_bytes: &[u8]) -> Option<ImportFormat> {
    let trimmed_start = first_bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let rest = &first_bytes[trimmed_start..];
    let first_line = rest.split(|b| *b == b'\n').next().unwrap_or_default();
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(first_line) {
        return classify_json(&value);
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(rest) {
        return classify_json(&value);
    }
    // A large pretty-printed document: judge by the keys that appear early on.
    let text = String::from_utf8_lossy(rest);
    if text.contains("\"external_id\"") && text.contains("\"channel\"") {
        return Some(ImportFormat::Jsonl);
    }
    if text.contains("\"account\"") && (text.contains("\"acct\"") || text.contains("\"content\"")) {
        return Some(ImportFormat::Mastodon);
    }
    if text.contains("\"data\"")
        || text.contains("\"author_id\"")
        || text.contains("\"conversation_id\"")
        || text.contains("\"edit_history_tweet_ids\"")
    {
        return Some(ImportFormat::XApiV2);
    }
    None
}

fn classify_json(value: &serde_json::Value) -> Option<ImportFormat> {
    match value {
        serde_json::Value::Array(items) => items.first().and_then(classify_json),
        serde_json::Value::Object(map) => {
            if map.contains_key("external_id") && map.contains_key("channel") {
                Some(ImportFormat::Jsonl)
            } else if map.contains_key("account")
                && (map.contains_key("content") || map.contains_key("uri"))
            {
                Some(ImportFormat::Mastodon)
            } else if map.contains_key("data") || map.contains_key("includes") {
                Some(ImportFormat::XApiV2)
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_parse_and_unknown_lists_choices() {
        assert_eq!(
            "jsonl".parse::<ImportFormat>().unwrap(),
            ImportFormat::Jsonl
        );
        assert_eq!("X".parse::<ImportFormat>().unwrap(), ImportFormat::XApiV2);
        assert_eq!(
            "csv:airline".parse::<ImportFormat>().unwrap(),
            ImportFormat::CsvPreset(CsvPreset::Airline)
        );
        let err = "xml".parse::<ImportFormat>().unwrap_err().to_string();
        assert!(err.contains("\"xml\""), "{err}");
        assert!(err.contains("mastodon") && err.contains("twcs"), "{err}");
    }

    #[test]
    fn detection_uses_content_before_extension() {
        let path = Path::new("export.json");
        assert_eq!(
            detect(path, br#"{"data":[{"id":"1","text":"hi"}]}"#).unwrap(),
            ImportFormat::XApiV2
        );
        assert_eq!(
            detect(
                path,
                br#"[{"id":"1","content":"<p>hi</p>","account":{"acct":"a"}}]"#
            )
            .unwrap(),
            ImportFormat::Mastodon
        );
        assert_eq!(
            detect(
                Path::new("a.txt"),
                b"{\"channel\":\"x\",\"external_id\":\"1\"}\n"
            )
            .unwrap(),
            ImportFormat::Jsonl
        );
        assert_eq!(
            detect(Path::new("a.dat"), b"tweet_id,text\n1,hi\n").unwrap(),
            ImportFormat::Csv
        );
        let err = detect(Path::new("a.bin"), b"\x00\x01garbage")
            .unwrap_err()
            .to_string();
        assert!(err.contains("a.bin") && err.contains("mastodon"), "{err}");
        let err = detect(path, br#"{"hello":1}"#).unwrap_err().to_string();
        assert!(err.contains("looks like JSON"), "{err}");
    }
}
