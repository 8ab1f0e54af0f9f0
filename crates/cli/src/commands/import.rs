//! `switchyard import PATH…`: files through the same pipeline as live posts, with a progress bar
//! and an end summary (read, new, duplicate, rejected with line numbers and reasons).

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use switchyard_pipeline::Pipeline;
use switchyard_pipeline::import::{CsvMapping, ImportFormat};

/// How many rejected rows to print before summarising the rest.
const SHOW_REJECTED: usize = 20;

pub struct ImportArgs {
    pub paths: Vec<PathBuf>,
    pub format: Option<ImportFormat>,
    pub mapping: Option<PathBuf>,
    pub quiet: bool,
}

/// Returns whether any row was rejected.
pub async fn run(pipeline: &Pipeline, args: ImportArgs) -> Result<bool> {
    let format = match (&args.mapping, args.format) {
        (Some(path), _) => Some(ImportFormat::CsvMapped(std::sync::Arc::new(
            CsvMapping::from_toml_file(path).with_context(|| "loading the CSV column mapping")?,
        ))),
        (None, format) => format,
    };
    let mut any_rejected = false;
    for path in &args.paths {
        let bar = if args.quiet {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {prefix} {pos} rows read ({per_sec}) {msg} [{elapsed}]",
                )
                .expect("valid template"),
            );
            bar.set_prefix(path.display().to_string());
            bar
        };
        let report = pipeline
            .import_file(path, format.clone(), |progress| {
                bar.set_position(progress.read);
                bar.set_message(format!(
                    "new {} · duplicate {} · rejected {}",
                    progress.new, progress.duplicate, progress.rejected
                ));
            })
            .await
            .with_context(|| format!("importing {}", path.display()))?;
        bar.finish_and_clear();
        // say!: the summary is best-effort, a closed output pipe must not stop the next file.
        say!(
            "{}: format {} · read {} · new {} · duplicate {} · rejected {}{}",
            path.display(),
            report.format,
            report.read,
            report.new,
            report.duplicate,
            report.rejected.len(),
            if report.bulk_load {
                " · bulk load (author, time and queue indexes built at the end)"
            } else {
                ""
            }
        );
        for rejected in report.rejected.iter().take(SHOW_REJECTED) {
            say!("  line {}: {}", rejected.line, rejected.reason);
        }
        if report.rejected.len() > SHOW_REJECTED {
            say!(
                "  … and {} more rejected rows",
                report.rejected.len() - SHOW_REJECTED
            );
        }
        any_rejected |= !report.rejected.is_empty();
    }
    Ok(any_rejected)
}
