//! Loaders for the shared, outside-labelled data sets (`../shared/data`) used to train and
//! evaluate the models, with the clean-ups the data README asks for: SemEval's literal `\uXXXX`
//! escapes decoded, HTML entities decoded, and the airline reason names that leaked into the text
//! put back to the words they replaced. These read files; `Analyzer::analyze` never does.

use crate::error::AnalyzeError;
use std::path::{Path, PathBuf};

/// One labelled text.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    pub text: String,
    pub label: String,
}

/// One airline tweet with its sentiment and (for negative ones) reason.
#[derive(Debug, Clone, PartialEq)]
pub struct AirlineTweet {
    /// The text with the leaked reason names restored (see [`restore_airline_leak`]).
    pub text: String,
    pub sentiment: String,
    /// The annotators' negative reason, empty when none.
    pub reason: String,
}

/// One tweet of the complaints corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintTweet {
    pub text: String,
    pub complaint: bool,
    pub domain: String,
}

/// One CFPB narrative with the issue the consumer chose.
#[derive(Debug, Clone, PartialEq)]
pub struct CfpbNarrative {
    pub text: String,
    pub issue: String,
}

fn read(path: &Path) -> Result<String, AnalyzeError> {
    if !path.exists() {
        return Err(AnalyzeError::DataMissing {
            path: path.to_path_buf(),
            hint: "point --data-dir (or SWITCHYARD_SHARED_DATA) at the shared data folder \
                   described in ../shared/data/README.md"
                .into(),
        });
    }
    std::fs::read_to_string(path).map_err(|source| AnalyzeError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })
}

fn csv_rows(path: &Path, columns: &[&str]) -> Result<Vec<Vec<String>>, AnalyzeError> {
    let content = read(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(content.as_bytes());
    let format = |line: usize, problem: String| AnalyzeError::DataFormat {
        path: path.to_path_buf(),
        line,
        problem,
    };
    let headers = reader
        .headers()
        .map_err(|e| format(1, format!("unreadable header: {e}")))?
        .clone();
    let mut indexes = Vec::with_capacity(columns.len());
    for column in columns {
        let index = headers.iter().position(|h| h == *column).ok_or_else(|| {
            format(
                1,
                format!("no column {column:?}; expected the layout in the data README"),
            )
        })?;
        indexes.push(index);
    }
    let mut rows = Vec::new();
    for (number, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format(number + 2, format!("bad CSV row: {e}")))?;
        rows.push(
            indexes
                .iter()
                .map(|i| record.get(*i).unwrap_or("").to_string())
                .collect(),
        );
    }
    Ok(rows)
}

/// Decodes the literal `\uXXXX` escapes found in SemEval's 2013 files.
pub fn decode_unicode_escapes(text: &str) -> String {
    if !text.contains("\\u") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\\u") {
        out.push_str(&rest[..at]);
        let hex = rest.get(at + 2..at + 6);
        let decoded = hex
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 6..];
            }
            None => {
                out.push_str("\\u");
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decodes the HTML entities tweets carry (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;`).
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

/// Puts back the words CrowdFlower replaced by reason names in the airline text ("late" →
/// "Late Flight", "cancel" → "Cancelled Flight", "booking" → "Flight Booking Problems"), so a
/// model cannot read the label off the text (data README, known traps).
pub fn restore_airline_leak(text: &str) -> String {
    text.replace("Late Flight", "late")
        .replace("Cancelled Flight", "cancel")
        .replace("Flight Booking Problems", "booking")
}

/// `semeval2017/train.tsv`: `id, label, text`.
pub fn semeval(data_dir: &Path) -> Result<Vec<Labelled>, AnalyzeError> {
    let path = data_dir.join("semeval2017/train.tsv");
    let content = read(&path)?;
    let mut out = Vec::new();
    for (number, line) in content.lines().enumerate().skip(1) {
        let mut parts = line.splitn(3, '\t');
        let (Some(_id), Some(label), Some(text)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(AnalyzeError::DataFormat {
                path,
                line: number + 1,
                problem: "expected three tab-separated columns: id, label, text".into(),
            });
        };
        if !matches!(label, "positive" | "negative" | "neutral") {
            return Err(AnalyzeError::DataFormat {
                path,
                line: number + 1,
                problem: format!("unknown label {label:?}"),
            });
        }
        out.push(Labelled {
            text: decode_entities(&decode_unicode_escapes(text)),
            label: label.to_string(),
        });
    }
    Ok(out)
}

/// A TweetEval task split (`train` or `val`), labels named through its `mapping.txt`.
pub fn tweeteval(data_dir: &Path, task: &str, split: &str) -> Result<Vec<Labelled>, AnalyzeError> {
    let folder: PathBuf = data_dir.join("tweeteval").join(task);
    let mapping_path = folder.join("mapping.txt");
    let mapping = read(&mapping_path)?;
    let mut names = Vec::new();
    for line in mapping.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.split('\t');
        let (Some(index), Some(name)) = (parts.next(), parts.next()) else {
            continue;
        };
        names.push((index.trim().to_string(), name.trim().to_string()));
    }
    let text_path = folder.join(format!("{split}_text.txt"));
    let labels_path = folder.join(format!("{split}_labels.txt"));
    let texts = read(&text_path)?;
    let labels = read(&labels_path)?;
    let texts: Vec<&str> = texts.lines().collect();
    let labels: Vec<&str> = labels.lines().collect();
    if texts.len() != labels.len() {
        return Err(AnalyzeError::DataFormat {
            path: labels_path,
            line: labels.len(),
            problem: format!("{} labels for {} texts", labels.len(), texts.len()),
        });
    }
    let mut out = Vec::with_capacity(texts.len());
    for (number, (text, label)) in texts.iter().zip(&labels).enumerate() {
        let name = names
            .iter()
            .find(|(index, _)| index == label.trim())
            .map(|(_, name)| name.clone())
            .ok_or_else(|| AnalyzeError::DataFormat {
                path: labels_path.clone(),
                line: number + 1,
                problem: format!("label {label:?} is not in mapping.txt"),
            })?;
        out.push(Labelled {
            text: decode_entities(text.trim_end()),
            label: name,
        });
    }
    Ok(out)
}

/// `airline/train.csv` (CC BY-NC-SA 4.0: evaluation and, documented, training only).
pub fn airline(data_dir: &Path) -> Result<Vec<AirlineTweet>, AnalyzeError> {
    let rows = csv_rows(
        &data_dir.join("airline/train.csv"),
        &["airline_sentiment", "negativereason", "text"],
    )?;
    Ok(rows
        .into_iter()
        .map(|row| AirlineTweet {
            text: decode_entities(&restore_airline_leak(&row[2])),
            sentiment: row[0].clone(),
            reason: row[1].clone(),
        })
        .collect())
}

/// `complaints/train.csv`.
pub fn complaints(data_dir: &Path) -> Result<Vec<ComplaintTweet>, AnalyzeError> {
    let path = data_dir.join("complaints/train.csv");
    let rows = csv_rows(&path, &["text", "label", "domain"])?;
    let mut out = Vec::with_capacity(rows.len());
    for (number, row) in rows.into_iter().enumerate() {
        let complaint = match row[1].trim() {
            "1" => true,
            "0" => false,
            other => {
                return Err(AnalyzeError::DataFormat {
                    path,
                    line: number + 2,
                    problem: format!("label {other:?}, expected 0 or 1"),
                });
            }
        };
        out.push(ComplaintTweet {
            text: decode_entities(&row[0]),
            complaint,
            domain: row[2].clone(),
        });
    }
    Ok(out)
}

/// `banking77/train.csv`: customer-service queries with one of 77 intents.
pub fn banking77(data_dir: &Path) -> Result<Vec<Labelled>, AnalyzeError> {
    let rows = csv_rows(&data_dir.join("banking77/train.csv"), &["text", "category"])?;
    Ok(rows
        .into_iter()
        .map(|row| Labelled {
            text: row[0].clone(),
            label: row[1].clone(),
        })
        .collect())
}

/// `cfpb/cfpb_narratives.csv`: the first 60 words of each narrative (without the `XXXX`
/// redactions), with the consumer's issue.
pub fn cfpb(data_dir: &Path) -> Result<Vec<CfpbNarrative>, AnalyzeError> {
    let rows = csv_rows(
        &data_dir.join("cfpb/cfpb_narratives.csv"),
        &["narrative", "issue"],
    )?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let words: Vec<&str> = row[0]
                .split_whitespace()
                .filter(|w| !w.contains("XX"))
                .take(60)
                .collect();
            CfpbNarrative {
                text: words.join(" "),
                issue: row[1].clone(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_entities() {
        assert_eq!(
            decode_unicode_escapes("Day\\u2019s \\u002c ok"),
            "Day’s , ok"
        );
        assert_eq!(decode_unicode_escapes("bad \\uZZ"), "bad \\uZZ");
        assert_eq!(decode_entities("a &amp; b &lt;3"), "a & b <3");
    }

    #[test]
    fn restores_the_airline_leak() {
        assert_eq!(
            restore_airline_leak(
                "I will Cancelled Flight my flight, it was Cancelled Flightled and Late Flightr"
            ),
            "I will cancel my flight, it was cancelled and later"
        );
        assert_eq!(
            restore_airline_leak("reFlight Booking Problems"),
            "rebooking"
        );
    }

    #[test]
    fn missing_data_says_where_to_look() {
        let error = semeval(Path::new("/nonexistent/shared")).unwrap_err();
        assert!(
            error.to_string().contains("semeval2017/train.tsv"),
            "{error}"
        );
    }
}
