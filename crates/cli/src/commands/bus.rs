//! The scale-out path: `switchyard publish FILE…` puts posts on the NATS JetStream ingest log, and
//! any number of `switchyard worker` processes (usually with a PostgreSQL `database_url`) take them
//! off, analyse, route, store and index them. A worker acknowledges a batch only after the store
//! committed it, so a crashed worker's batch goes to another.

use crate::commands::serve;
use crate::config::Config;
use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::time::Duration;
use switchyard_bus::Bus;
use switchyard_pipeline::import::{ImportFormat, open_path};

/// Posts per publish call.
const PUBLISH_BATCH: usize = 1_000;

fn bus_url(config: &Config) -> Result<&str> {
    match config.bus_url.as_deref() {
        Some(url) => Ok(url),
        None => bail!(
            "no message bus is configured; set bus_url = \"nats://127.0.0.1:4222\" in switchyard.toml or SWITCHYARD_BUS_URL"
        ),
    }
}

/// Publishes every post of `paths` to the bus; returns whether any record was rejected.
pub async fn publish(
    config: &Config,
    paths: &[PathBuf],
    format: Option<ImportFormat>,
) -> Result<bool> {
    let bus = Bus::connect(bus_url(config)?, &config.bus_stream).await?;
    let mut any_rejected = false;
    for path in paths {
        let records = open_path(path, format.as_ref())
            .with_context(|| format!("reading {}", path.display()))?;
        let (mut read, mut stored, mut rejected) = (0u64, 0usize, 0u64);
        let mut batch = Vec::with_capacity(PUBLISH_BATCH);
        for record in records {
            read += 1;
            match record {
                Ok(post) => batch.push(post),
                Err(rejection) => {
                    rejected += 1;
                    if rejected <= 20 {
                        say!("  {rejection}");
                    }
                }
            }
            if batch.len() == PUBLISH_BATCH {
                stored += bus.publish(&batch).await?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            stored += bus.publish(&batch).await?;
        }
        say!(
            "{}: read {read} · published {stored} new to stream {} · rejected {rejected}",
            path.display(),
            config.bus_stream
        );
        any_rejected |= rejected > 0;
    }
    Ok(any_rejected)
}

/// Consumes the bus into the store until Ctrl-C.
pub async fn worker(config: &Config, batch: usize) -> Result<()> {
    let bus = Bus::connect(bus_url(config)?, &config.bus_stream).await?;
    let (store, pipeline, _crm) = serve::build_core(config, serve::Cases::Open).await?;
    say!(
        "worker: consuming stream {} into {} (Ctrl-C stops)",
        config.bus_stream,
        config.database()
    );
    let stop = serve::shutdown_signal();
    tokio::pin!(stop);
    loop {
        let round = bus.consume_once(
            "switchyard-workers",
            batch,
            Duration::from_secs(2),
            |posts| {
                let pipeline = pipeline.clone();
                async move { pipeline.ingest(posts, None).await.map(|_| ()) }
            },
        );
        tokio::select! {
            _ = &mut stop => break,
            result = round => match result {
                Ok(stats) if stats.acked + stats.retried + stats.malformed > 0 => tracing::info!(
                    acked = stats.acked, retried = stats.retried, malformed = stats.malformed, "worker round"
                ),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "consuming the bus failed; retrying in 2 s");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            },
        }
    }
    store.close().await.context("closing the store")?;
    Ok(())
}
