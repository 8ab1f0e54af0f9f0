//! `switchyard search QUERY`: full-text search over stored posts with the listening-query language.

use anyhow::{Context, Result, bail};
use std::io::Write;
use switchyard_store::Store;

pub async fn run(store: &Store, query_text: &str, limit: usize, json: bool) -> Result<()> {
    let query = match switchyard_query::parse(query_text) {
        Ok(query) => query,
        Err(error) => bail!("the query does not parse:\n{error}"),
    };
    let hits = store
        .search_hits(&query.expr, limit, 0)
        .await
        .context("searching the index")?;
    let ordered = store
        .get_posts(&hits.ids)
        .await
        .context("reading matching posts")?;
    // Written through one locked handle: a reader that goes away (`| head`) ends the command
    // quietly (main treats a broken pipe as the end of output) instead of a panicking println!.
    let mut out = std::io::stdout().lock();
    if json {
        for stored in &ordered {
            writeln!(out, "{}", serde_json::to_string(stored)?)?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "{} matching posts (showing {})",
        hits.total,
        ordered.len()
    )?;
    for stored in ordered {
        let post = &stored.post.post;
        let text: String = post.text.chars().take(110).collect();
        writeln!(
            out,
            "#{:<8} {:<9} @{:<18} {:<8} {:<10} {}",
            stored.post.id,
            post.channel.as_str(),
            post.author.handle.chars().take(18).collect::<String>(),
            stored.analysis.sentiment.label,
            stored.route.queue,
            text.replace('\n', " ")
        )?;
    }
    Ok(())
}
