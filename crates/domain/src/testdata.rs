//! Where tests and evaluation find the shared, outside-labelled data sets (`../shared/data`).

use std::path::PathBuf;

/// The shared data folder: `$SWITCHYARD_SHARED_DATA` if set, else `<workspace>/../shared/data`.
/// Returns `None` (and callers skip loudly) when it does not exist.
pub fn shared_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SWITCHYARD_SHARED_DATA") {
        let dir = PathBuf::from(dir);
        return dir.is_dir().then_some(dir);
    }
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = workspace.join("../shared/data");
    dir.is_dir().then_some(dir)
}

/// Like [`shared_data_dir`], but prints `SKIPPED (no shared data): <what>` when it is missing.
pub fn shared_data_or_skip(what: &str) -> Option<PathBuf> {
    let dir = shared_data_dir();
    if dir.is_none() {
        eprintln!("SKIPPED (no shared data): {what}");
    }
    dir
}
