//! `switchyard stats`: totals by channel, sentiment and queue, as a table or JSON.

use anyhow::{Context, Result};
use switchyard_store::Store;

pub async fn run(store: &Store, json: bool) -> Result<()> {
    let stats = store.stats().await.context("counting posts")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
        return Ok(());
    }
    println!("posts: {}", stats.posts);
    for (title, counts) in [
        ("by channel", &stats.by_channel),
        ("by sentiment", &stats.by_sentiment),
        ("by queue", &stats.by_queue),
    ] {
        println!("\n{title}:");
        for (name, count) in counts {
            println!("  {name:<16} {count:>9}");
        }
    }
    Ok(())
}
