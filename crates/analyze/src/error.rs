//! Errors of the analysis crate: a broken model file, missing or malformed training data, a bad
//! correction, a file that could not be written. Every message says what to do next.

use std::path::PathBuf;

/// Everything that can go wrong while loading models, training or evaluating.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// A model file could not be read as a model.
    #[error("model {model} is unusable: {problem}")]
    BadModel { model: String, problem: String },
    /// A training or evaluation data file is missing.
    #[error("data file {path} is missing: {hint}")]
    DataMissing { path: PathBuf, hint: String },
    /// A data file has an unexpected shape.
    #[error("data file {path}, line {line}: {problem}")]
    DataFormat {
        path: PathBuf,
        line: usize,
        problem: String,
    },
    /// Reading or writing a file failed.
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A correction names a task or label the models do not have.
    #[error("correction for task {task:?} with label {label:?} is not usable: {problem}")]
    BadCorrection {
        task: String,
        label: String,
        problem: String,
    },
}
