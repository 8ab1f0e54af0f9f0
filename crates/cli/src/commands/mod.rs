//! One module per subcommand; each turns parsed arguments into library calls and prints results.

pub mod analyze;
pub mod bus;
pub mod import;
pub mod models;
pub mod rules;
pub mod search;
pub mod serve;
pub mod stats;

use anyhow::Result;
use std::io::{BufReader, BufWriter};
use std::process::ExitCode;

/// `switchyard analyze` on stdin/stdout.
pub fn analyze_stdin() -> Result<ExitCode> {
    let analyzer = switchyard_analyze::Analyzer::new();
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    let summary = analyze::run(
        &analyzer,
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
