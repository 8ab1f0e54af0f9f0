//! VADER alone over JSON lines: reads `{"text": …}` per line on stdin, writes
//! `{"neg","neu","pos","compound"}` per line on stdout. Used by `scripts/bench-analyze.sh` to time
//! this port against Python's vaderSentiment on the same input and to compare their scores.
//!
//! `cargo run --release -p switchyard-text --example vader_jsonl < posts.jsonl > scores.jsonl`

use std::io::{BufRead, BufWriter, Write};
use switchyard_text::Vader;

fn main() -> std::io::Result<()> {
    let vader = Vader::new();
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (line_no, line) in stdin.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = match serde_json::from_str(&line) {
            Ok(value) => value,
            Err(e) => {
                eprintln!("line {}: not JSON ({e}); skipped", line_no + 1);
                continue;
            }
        };
        let Some(text) = value.get("text").and_then(|t| t.as_str()) else {
            eprintln!("line {}: no string \"text\" field; skipped", line_no + 1);
            continue;
        };
        let scores = vader.polarity_scores(text);
        serde_json::to_writer(&mut out, &scores)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
