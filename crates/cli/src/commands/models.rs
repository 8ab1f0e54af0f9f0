//! `switchyard train` (rebuild the shipped models from the shared data, optionally folding in
//! agents' corrections) and `switchyard eval` (our figures beside the published anchors).

use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use switchyard_store::Store;

/// The shared data folder: the flag, else `$SWITCHYARD_SHARED_DATA`, else `../shared/data`.
pub fn data_dir(flag: Option<PathBuf>) -> Result<PathBuf> {
    let dir = flag
        .or_else(|| std::env::var_os("SWITCHYARD_SHARED_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("../shared/data"));
    if !dir.is_dir() {
        bail!(
            "training data folder {} does not exist; pass --data DIR (the folder with vader/, semeval2017/, complaints/ …)",
            dir.display()
        );
    }
    Ok(dir)
}

/// Every correction in the store, with the post text it applies to.
pub async fn corrections(store: &Store) -> Result<Vec<switchyard_analyze::Correction>> {
    let rows = store.corrections().await.context("reading corrections")?;
    let ids: Vec<_> = rows.iter().map(|c| c.post_id).collect();
    let texts: std::collections::HashMap<_, _> = store
        .get_posts(&ids)
        .await
        .context("reading corrected posts")?
        .into_iter()
        .map(|stored| (stored.post.id, stored.post.post.text))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for correction in &rows {
        if let Some(text) = texts.get(&correction.post_id) {
            out.push(switchyard_analyze::Correction {
                text: text.clone(),
                task: correction.task.clone(),
                label: correction.label.clone(),
            });
        }
    }
    Ok(out)
}

pub fn train(
    data: &Path,
    out: &Path,
    corrections: &[switchyard_analyze::Correction],
) -> Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create model folder {}", out.display()))?;
    let report =
        switchyard_analyze::train_all(data, out, corrections).context("training the models")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{report}")?;
    writeln!(stdout, "models written to {}", out.display())?;
    Ok(())
}

pub fn eval(data: &Path) -> Result<()> {
    let report = switchyard_analyze::eval_all(data).context("evaluating the models")?;
    writeln!(std::io::stdout().lock(), "{report}")?;
    Ok(())
}
