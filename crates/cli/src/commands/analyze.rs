//! `switchyard analyze`: JSON lines with a `"text"` field in, the same lines with an added
//! `"analysis"` object out. Other fields pass through byte for byte.
//!
//! With listening queries, `analysis.queries` lists the names of the queries a post matches; the
//! query filters read `channel`, `author.handle` / `author.followers` / `author.verified` (or a
//! top-level `followers`), `parent_id` (replies) and `language` when a line has them.
//!
//! Invalid lines are reported on stderr with their line number and skipped; the command then
//! exits non-zero so scripts notice. Work is split over the available cores in order-preserving
//! chunks (one core when run under `taskset -c 0`).

use anyhow::{Context, Result};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::borrow::Cow;
use std::io::{BufRead, Write};
use switchyard_analyze::Analyzer;
use switchyard_domain::{Channel, NewPost};
use switchyard_query::{PostView, QuerySet};

/// Lines analysed per chunk handed to a worker thread.
const CHUNK_LINES: usize = 2048;

/// What happened to the input.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AnalyzeSummary {
    pub analysed: u64,
    pub rejected: u64,
}

impl AnalyzeSummary {
    /// Writes line `number`'s outcome (its analysed form and a newline to `output`, or why it was
    /// rejected to `errors`) and counts it.
    fn record(
        &mut self,
        number: u64,
        result: Result<&[u8], &str>,
        output: &mut impl Write,
        errors: &mut impl Write,
    ) -> std::io::Result<()> {
        match result {
            Ok(bytes) => {
                output.write_all(bytes)?;
                output.write_all(b"\n")?;
                self.analysed += 1;
            }
            Err(reason) => {
                writeln!(errors, "line {number}: rejected: {reason}")?;
                self.rejected += 1;
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default)]
    author: Option<AuthorProbe>,
    #[serde(default)]
    followers: Option<u64>,
    #[serde(default)]
    analysis: Option<IgnoredAny>,
    // Read only for listening queries, and leniently: a line whose other fields have shapes we
    // do not expect (numeric ids, objects) still passes through untouched.
    #[serde(default, deserialize_with = "lenient_text")]
    channel: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    parent_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    language: Option<String>,
}

#[derive(Deserialize)]
struct AuthorProbe {
    #[serde(default)]
    followers: Option<u64>,
    #[serde(default, deserialize_with = "lenient_text")]
    handle: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    verified: bool,
}

/// A string or number as text; anything else (null, objects, arrays, booleans) as absent.
fn lenient_text<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(text) => Some(text),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    })
}

/// `true` only for a JSON `true`.
fn lenient_bool<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(matches!(
        serde_json::Value::deserialize(deserializer)?,
        serde_json::Value::Bool(true)
    ))
}

/// The analysed form of one input line, or why it was rejected.
type LineResult = Result<Vec<u8>, String>;

fn analyse_line(analyzer: &Analyzer, queries: Option<&QuerySet>, line: &str) -> LineResult {
    let mut out = Vec::with_capacity(line.len() + 1536);
    analyse_line_into(analyzer, queries, line, &mut out)?;
    Ok(out)
}

/// Appends the analysed form of `line` to `out` (on error `out` may hold a partial line: the
/// caller truncates it).
fn analyse_line_into(
    analyzer: &Analyzer,
    queries: Option<&QuerySet>,
    line: &str,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let probe: Probe =
        serde_json::from_str(line).map_err(|error| format!("not a JSON object: {error}"))?;
    let text = probe
        .text
        .as_ref()
        .ok_or_else(|| "the object has no \"text\" field (a string is required)".to_string())?;
    let followers = probe
        .author
        .as_ref()
        .and_then(|author| author.followers)
        .or(probe.followers);
    let analysis = analyzer.analyze(text, followers);
    if probe.analysis.is_some() {
        // The input already carries an "analysis" key: replace it rather than duplicate it.
        let mut analysis_json = Vec::with_capacity(1536);
        write_analysis(
            &analysis,
            &probe,
            text,
            followers,
            queries,
            &mut analysis_json,
        )?;
        let mut value: serde_json::Value =
            serde_json::from_str(line).map_err(|error| format!("not a JSON object: {error}"))?;
        value["analysis"] = serde_json::from_slice(&analysis_json).map_err(|e| e.to_string())?;
        return serde_json::to_writer(out, &value).map_err(|e| e.to_string());
    }
    let body = line.trim_end();
    let open = &body[..body.len() - 1]; // a parsed object always ends with '}'
    out.extend_from_slice(open.trim_end().as_bytes());
    out.extend_from_slice(b",\"analysis\":");
    write_analysis(&analysis, &probe, text, followers, queries, out)?;
    out.push(b'}');
    Ok(())
}

/// Appends the `analysis` object (with the names of the matching listening queries, if any).
fn write_analysis(
    analysis: &switchyard_domain::Analysis,
    probe: &Probe<'_>,
    text: &str,
    followers: Option<u64>,
    queries: Option<&QuerySet>,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    analysis.write_json(out);
    if let Some(queries) = queries {
        let post = post_for_queries(probe, text, followers)?;
        let matched = queries.matching(&PostView::with_analysis(&post, analysis));
        out.pop(); // the analysis object's closing brace
        out.extend_from_slice(b",\"queries\":");
        serde_json::to_writer(&mut *out, &matched).map_err(|e| e.to_string())?;
        out.push(b'}');
    }
    Ok(())
}

/// The post a listening query sees: the line's text and whatever it says of channel, author,
/// reply and language.
fn post_for_queries(
    probe: &Probe<'_>,
    text: &str,
    followers: Option<u64>,
) -> Result<NewPost, String> {
    let channel = match probe.channel.as_deref() {
        Some(name) => name
            .parse::<Channel>()
            .map_err(|error| format!("\"channel\": {error}"))?,
        None => Channel::Web,
    };
    let handle = probe
        .author
        .as_ref()
        .and_then(|author| author.handle.clone())
        .unwrap_or_default();
    let mut post = NewPost::new(channel, "", handle, text, chrono::DateTime::UNIX_EPOCH);
    post.author.followers = followers;
    post.author.verified = probe.author.as_ref().is_some_and(|author| author.verified);
    post.parent_id = probe.parent_id.clone();
    post.language = probe.language.clone();
    Ok(post)
}

/// Reads all of `input`, writes analysed lines to `output`, reports bad lines to `errors`.
pub fn run(
    analyzer: &Analyzer,
    queries: Option<&QuerySet>,
    input: impl BufRead,
    output: impl Write,
    errors: impl Write,
) -> Result<AnalyzeSummary> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    run_on(threads, analyzer, queries, input, output, errors)
}

/// [`run`] on `threads` cores (one: streamed line by line; more: in order-preserving rounds).
fn run_on(
    threads: usize,
    analyzer: &Analyzer,
    queries: Option<&QuerySet>,
    input: impl BufRead,
    mut output: impl Write,
    mut errors: impl Write,
) -> Result<AnalyzeSummary> {
    let mut summary = AnalyzeSummary::default();
    if threads <= 1 {
        return run_streaming(analyzer, queries, input, output, errors);
    }
    let mut lines = input.lines();
    let mut line_number: u64 = 0;
    loop {
        // Gather one round: `threads` chunks of up to CHUNK_LINES lines each.
        let mut round: Vec<(u64, String)> = Vec::with_capacity(threads * CHUNK_LINES);
        for line in lines.by_ref() {
            line_number += 1;
            let line = line.with_context(|| format!("cannot read input line {line_number}"))?;
            if line.trim().is_empty() {
                continue;
            }
            round.push((line_number, line));
            if round.len() == threads * CHUNK_LINES {
                break;
            }
        }
        if round.is_empty() {
            break;
        }
        let results: Vec<LineResult> = if round.len() <= CHUNK_LINES {
            round
                .iter()
                .map(|(_, line)| analyse_line(analyzer, queries, line))
                .collect()
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = round
                    .chunks(CHUNK_LINES)
                    .map(|chunk| {
                        scope.spawn(move || {
                            chunk
                                .iter()
                                .map(|(_, line)| analyse_line(analyzer, queries, line))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|handle| handle.join().expect("analysis worker panicked"))
                    .collect()
            })
        };
        for ((number, _), result) in round.iter().zip(results) {
            summary.record(
                *number,
                result.as_deref().map_err(String::as_str),
                &mut output,
                &mut errors,
            )?;
        }
    }
    output.flush()?;
    Ok(summary)
}

/// One core: each line is read into, and written from, buffers reused for the whole input (no
/// per-line allocation for the line or its output).
fn run_streaming(
    analyzer: &Analyzer,
    queries: Option<&QuerySet>,
    mut input: impl BufRead,
    mut output: impl Write,
    mut errors: impl Write,
) -> Result<AnalyzeSummary> {
    let mut summary = AnalyzeSummary::default();
    let mut line = String::with_capacity(4096);
    let mut out = Vec::with_capacity(8192);
    let mut line_number: u64 = 0;
    loop {
        line.clear();
        line_number += 1;
        let read = input
            .read_line(&mut line)
            .with_context(|| format!("cannot read input line {line_number}"))?;
        if read == 0 {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        out.clear();
        let result = analyse_line_into(
            analyzer,
            queries,
            line.trim_end_matches(['\n', '\r']),
            &mut out,
        );
        summary.record(
            line_number,
            result
                .as_ref()
                .map(|()| out.as_slice())
                .map_err(String::as_str),
            &mut output,
            &mut errors,
        )?;
    }
    output.flush()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `input` streamed on one core and in rounds on two; both must agree exactly.
    fn analyse(input: &str) -> (String, String, AnalyzeSummary) {
        let analyzer = Analyzer::new();
        let on = |threads| {
            let mut out = Vec::new();
            let mut err = Vec::new();
            let summary = run_on(
                threads,
                &analyzer,
                None,
                input.as_bytes(),
                &mut out,
                &mut err,
            )
            .unwrap();
            (
                String::from_utf8(out).unwrap(),
                String::from_utf8(err).unwrap(),
                summary,
            )
        };
        let streamed = on(1);
        assert_eq!(streamed, on(2), "one core and two cores disagree");
        streamed
    }

    #[test]
    fn adds_analysis_and_keeps_other_fields() {
        let (out, err, summary) = analyse(
            "{\"id\": 7, \"text\": \"I love this airline :)\", \"x\": [1,2], \"channel\": {\"id\": 3}, \"parent_id\": [9], \"author\": {\"handle\": 5, \"verified\": 1}}\n",
        );
        assert_eq!(err, "");
        assert_eq!(summary.analysed, 1);
        let value: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(value["id"], 7);
        assert_eq!(value["x"], serde_json::json!([1, 2]));
        let vader = &value["analysis"]["sentiment"]["vader"];
        assert!(vader["compound"].as_f64().unwrap() > 0.5, "{vader}");
        for key in ["neg", "neu", "pos"] {
            assert!(vader[key].is_number(), "missing {key}");
        }
        assert_eq!(value["analysis"]["language"], "en");
    }

    #[test]
    fn listening_queries_name_the_posts_they_match() {
        let analyzer = Analyzer::new();
        let queries = crate::commands::query_set(
            &[
                ("late", "delayed OR late"),
                ("angry_vip", "sentiment:negative followers:>1000"),
                ("mastodon", "channel:mastodon"),
            ]
            .into_iter()
            .map(|(name, query)| (name.to_string(), query.to_string()))
            .collect(),
        )
        .unwrap();
        let input = "{\"text\": \"my flight is delayed again, worst airline ever\", \"parent_id\": 17, \"author\": {\"followers\": 5000, \"verified\": \"yes\"}}\n\
                     {\"text\": \"lovely crew today\", \"channel\": \"mastodon\"}\n\
                     {\"text\": \"late\", \"channel\": \"pigeon\"}\n";
        let mut out = Vec::new();
        let mut err = Vec::new();
        let summary = run(
            &analyzer,
            Some(&queries),
            input.as_bytes(),
            &mut out,
            &mut err,
        )
        .unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(summary.analysed, 2);
        assert_eq!(
            lines[0]["analysis"]["queries"],
            serde_json::json!(["angry_vip", "late"])
        );
        assert_eq!(
            lines[1]["analysis"]["queries"],
            serde_json::json!(["mastodon"])
        );
        let err = String::from_utf8(err).unwrap();
        assert!(err.contains("line 3: rejected: \"channel\""), "{err}");
    }

    #[test]
    fn bad_lines_are_reported_with_numbers_and_the_rest_continue() {
        let (out, err, summary) = analyse(
            "{\"text\": \"fine\"}\nnot json\n\n{\"no_text\": 1}\n{\"text\": \"late again\"}\n",
        );
        assert_eq!(summary.analysed, 2);
        assert_eq!(summary.rejected, 2);
        assert!(err.contains("line 2: rejected: not a JSON object"), "{err}");
        assert!(
            err.contains("line 4: rejected: the object has no \"text\""),
            "{err}"
        );
        assert_eq!(out.lines().count(), 2);
    }

    #[test]
    fn an_existing_analysis_key_is_replaced_not_duplicated() {
        let (out, _, _) = analyse("{\"text\": \"ok\", \"analysis\": 1}\n");
        let value: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert!(value["analysis"].is_object());
        assert_eq!(out.matches("\"analysis\"").count(), 1);
    }

    #[test]
    fn escaped_text_is_unescaped_before_analysis() {
        let (out, _, _) = analyse("{\"text\": \"great \\\"service\\\" \\u2764\"}\n");
        let value: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert!(
            value["analysis"]["sentiment"]["vader"]["compound"]
                .as_f64()
                .unwrap()
                > 0.0
        );
    }
}
