//! One module per subcommand; each turns parsed arguments into library calls and prints results.

pub mod analyze;
pub mod bus;
pub mod import;
pub mod models;
pub mod rules;
pub mod search;
pub mod serve;
pub mod stats;

use anyhow::{Context, Result};
use std::io::{BufReader, BufWriter};
use std::process::ExitCode;

/// `switchyard analyze`: JSON lines on stdin, analysed lines on stdout. With listening queries
/// (`queries`, from `--queries FILE` or the configuration), each line also says which matched.
pub fn analyze_stdin(queries: &std::collections::BTreeMap<String, String>) -> Result<ExitCode> {
    let analyzer = switchyard_analyze::Analyzer::new();
    let queries = if queries.is_empty() {
        None
    } else {
        Some(query_set(queries)?)
    };
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    let summary = analyze::run(
        &analyzer,
        queries.as_ref(),
        BufReader::with_capacity(1 << 20, stdin),
        BufWriter::with_capacity(1 << 20, stdout),
        std::io::stderr().lock(),
    )?;
    if summary.rejected > 0 {
        eprintln!(
            "analyze: {} lines analysed, {} rejected (see the messages above)",
            summary.analysed, summary.rejected
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Compiles named listening queries into one set, or says which one does not parse and why.
pub fn query_set(
    queries: &std::collections::BTreeMap<String, String>,
) -> Result<switchyard_query::QuerySet> {
    let mut parsed = Vec::with_capacity(queries.len());
    for (name, text) in queries {
        let query = switchyard_query::parse(text).map_err(|error| {
            anyhow::anyhow!("listening query {name:?} does not parse:\n{error}")
        })?;
        parsed.push((name.clone(), query));
    }
    Ok(switchyard_query::QuerySet::new(parsed))
}

/// Reads the `[queries]` table of a TOML file (the shape of `switchyard.toml`'s).
pub fn read_queries_file(
    path: &std::path::Path,
) -> Result<std::collections::BTreeMap<String, String>> {
    #[derive(serde::Deserialize)]
    struct QueriesFile {
        #[serde(default)]
        queries: std::collections::BTreeMap<String, String>,
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the queries file {}", path.display()))?;
    let file: QueriesFile = toml::from_str(&text).with_context(|| {
        format!(
            "{} is not a queries file; expected a [queries] table of name = \"query\" lines",
            path.display()
        )
    })?;
    if file.queries.is_empty() {
        anyhow::bail!(
            "{} has no [queries] table (or it is empty); expected name = \"query\" lines under [queries]",
            path.display()
        );
    }
    Ok(file.queries)
}
