//! `switchyard stats`: totals by channel, sentiment and queue, as a table or JSON.

use anyhow::{Context, Result};
use std::io::Write;
use switchyard_store::Store;

pub async fn run(store: &Store, json: bool) -> Result<()> {
    let stats = store.stats().await.context("counting posts")?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&stats)?)?;
        return Ok(());
    }
    writeln!(out, "posts: {}", stats.posts)?;
    for (title, counts) in [
        ("by channel", &stats.by_channel),
        ("by sentiment", &stats.by_sentiment),
        ("by queue", &stats.by_queue),
    ] {
        writeln!(out, "\n{title}:")?;
        for (name, count) in counts {
            writeln!(out, "  {name:<16} {count:>9}")?;
        }
    }
    Ok(())
}
