//! End-to-end store throughput: ingests N synthetic analysed, routed posts in batches into a
//! fresh store (SQLite in a temporary directory by default, or the database given as the first
//! argument), commits the search index, and prints posts per second. Usage:
//!
//! ```text
//! cargo run --release -p switchyard-store --example ingest_bench -- [LOCATION] [N] [BATCH]
//! ```
//!
//! LOCATION defaults to a temporary directory (SQLite + on-disk index); `postgres://…` uses a
//! fresh schema that is dropped afterwards.

use chrono::{Duration, TimeZone, Utc};
use std::time::Instant;
use switchyard_domain::{
    Analysis, Channel, NewPost, Prediction, Priority, RouteDecision, SentimentResult, VaderScores,
};
use switchyard_store::{IngestItem, OpenOptions, Store};

const WORDS: &[&str] = &[
    "flight",
    "delayed",
    "again",
    "customer",
    "service",
    "bag",
    "lost",
    "luggage",
    "thanks",
    "great",
    "crew",
    "seat",
    "refund",
    "please",
    "help",
    "waiting",
    "hours",
    "gate",
    "agent",
    "rude",
    "cancelled",
    "rebooked",
    "love",
    "never",
    "fly",
    "again",
    "worst",
    "best",
    "app",
    "website",
    "tracking",
    "number",
    "rejected",
    "phone",
    "hold",
    "minutes",
    "upgrade",
    "miles",
    "status",
    "match",
    "weeks",
    "no",
    "response",
    "#fail",
    "#delta",
    "@united",
    "on",
    "time",
    "the",
    "a",
    "my",
    "to",
    "is",
    "and",
    "for",
    "you",
    "why",
    "what",
    "today",
    "tomorrow",
];

/// A small deterministic generator, so every run ingests the same posts.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn prediction(label: &str, confidence: f32) -> Prediction {
    Prediction {
        label: label.into(),
        confidence,
        model: "bench@1".into(),
        explain: Vec::new(),
    }
}

fn make_items(count: usize) -> Vec<IngestItem> {
    let mut rng = Lcg(42);
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let channels = [
        Channel::X,
        Channel::Mastodon,
        Channel::Bluesky,
        Channel::Feed,
    ];
    let intents = [
        "complaint",
        "question",
        "praise",
        "suggestion",
        "lead",
        "other",
    ];
    let queues = ["support", "pr", "sales", "unrouted"];
    (0..count)
        .map(|n| {
            let words = 8 + rng.below(18) as usize;
            let text = (0..words)
                .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
                .collect::<Vec<_>>()
                .join(" ");
            let channel = channels[rng.below(channels.len() as u64) as usize];
            let created = start + Duration::seconds(n as i64 * 7);
            let mut post = NewPost::new(
                channel,
                format!("{n}"),
                format!("user{}", rng.below(5_000)),
                text,
                created,
            );
            post.author.followers = Some(rng.below(200_000));
            post.language = Some("en".into());
            let compound = (rng.below(2001) as f64 - 1000.0) / 1000.0;
            let analysis = Analysis {
                language: "en".into(),
                language_confidence: 0.9,
                sentiment: SentimentResult::from_vader(VaderScores {
                    neg: 0.1,
                    neu: 0.8,
                    pos: 0.1,
                    compound,
                }),
                complaint: Some(prediction("complaint", 0.8)),
                intent: Some(prediction(intents[rng.below(6) as usize], 0.7)),
                reason: Some(prediction("delay", 0.6)),
                urgency: Some(prediction("normal", 0.9)),
                toxicity: Some(prediction("not_offensive", 0.95)),
            };
            let route = RouteDecision {
                queue: queues[rng.below(4) as usize].to_string(),
                priority: Priority::Normal,
                tags: vec!["bench".into()],
                sla_policy: Some("standard".into()),
                alerts: Vec::new(),
                matched_rules: vec!["bench-rule".into()],
            };
            IngestItem {
                post,
                analysis,
                route,
            }
        })
        .collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let location = args.first().cloned().unwrap_or_default();
    let count: usize = args
        .get(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(100_000);
    let batch: usize = args.get(2).map(|n| n.parse()).transpose()?.unwrap_or(1_000);

    let temp = tempfile::tempdir()?;
    let schema = format!("bench_{}", std::process::id());
    let (options, label) = if location.starts_with("postgres") {
        (
            OpenOptions::new(&location).postgres_schema(&schema),
            "postgres".to_string(),
        )
    } else if location.is_empty() {
        (
            OpenOptions::new(temp.path().to_str().unwrap()),
            "sqlite (temp dir)".to_string(),
        )
    } else {
        (OpenOptions::new(&location), location.clone())
    };

    let generate_start = Instant::now();
    let items = make_items(count);
    let generated = generate_start.elapsed();

    let store = Store::open_with(options).await?;
    let start = Instant::now();
    let mut inserted = 0;
    for chunk in items.chunks(batch) {
        inserted += store.ingest(chunk, None).await?.inserted.len();
    }
    let ingested = start.elapsed();
    store.commit_index().await?;
    let total = start.elapsed();

    let stats = store.stats().await?;
    let query = switchyard_query::parse("refund AND (delayed OR lost)")?.expr;
    let search_start = Instant::now();
    let (hits, _) = store.search(&query, 20, 0).await?;
    let searched = search_start.elapsed();

    println!(
        "backend: {label}; posts: {count}; batch: {batch}; inserted: {inserted}; stored: {}",
        stats.posts
    );
    println!(
        "generate items (not part of the figure): {:.2} s",
        generated.as_secs_f64()
    );
    println!(
        "ingest (DB + index adds): {:.2} s; + final index commit: {:.2} s total",
        ingested.as_secs_f64(),
        total.as_secs_f64()
    );
    println!(
        "throughput: {:.0} posts/s ({:.1} µs/post), searchable at the end",
        count as f64 / total.as_secs_f64(),
        total.as_secs_f64() * 1e6 / count as f64
    );
    println!(
        "search 'refund AND (delayed OR lost)': {hits} hits in {:.1} ms",
        searched.as_secs_f64() * 1e3
    );

    store.close().await?;
    if location.starts_with("postgres") {
        use sqlx::Executor;
        let pool = sqlx::PgPool::connect(&location).await?;
        pool.execute(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA \"{schema}\" CASCADE"
        )))
        .await?;
    }
    Ok(())
}
