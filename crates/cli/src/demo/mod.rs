//! `switchyard demo`: the server on the embedded default with a realistic live replay of our own
//! synthetic traffic — history backfilled on first start, then new posts arriving every moment,
//! analysed and routed into queues, with an incident that flares up now and then.

pub mod generator;

use crate::commands::serve;
use crate::config::Config;
use anyhow::{Context, Result};
use chrono::Utc;
use generator::DemoGenerator;
use std::sync::Arc;
use std::time::Duration;
use switchyard_crm::Crm;
use switchyard_crm::access::Role;
use switchyard_crm::people::{NewUser, UserUpdate};
use switchyard_pipeline::Pipeline;

/// Posts per ingest call while backfilling.
const BACKFILL_BATCH: usize = 2_000;

/// Backfills `count` posts of history (idempotent: the same seed gives the same ids).
pub async fn backfill(pipeline: &Pipeline, count: usize) -> Result<u64> {
    let mut generator = DemoGenerator::new(20_261_123);
    let posts = generator.history(count, 14, Utc::now());
    let mut new = 0u64;
    for chunk in posts.chunks(BACKFILL_BATCH) {
        let outcome = pipeline
            .ingest(chunk.to_vec(), None)
            .await
            .context("ingesting demo history")?;
        new += outcome.inserted.len() as u64;
    }
    Ok(new)
}

/// Replays live traffic at `rate` posts per second until the task is dropped.
pub async fn replay(pipeline: Arc<Pipeline>, rate: f64) {
    let seed = Utc::now().timestamp_micros() as u64;
    let mut generator = DemoGenerator::live(seed);
    let interval = Duration::from_secs_f64(1.0 / rate.clamp(0.01, 1_000.0));
    let mut tick = tokio::time::interval(interval);
    let mut count: u64 = 0;
    loop {
        tick.tick().await;
        count += 1;
        // Every ~10 minutes the tracking-page incident flares up for a couple of minutes.
        let phase = (count as f64 * interval.as_secs_f64()) % 600.0;
        let incident = if phase < 120.0 { 0.35 } else { 0.02 };
        let post = generator.next_post(Utc::now(), incident);
        if let Err(error) = pipeline.ingest(vec![post], None).await {
            tracing::warn!(%error, "demo replay could not ingest a post");
        }
    }
}

/// The demo's people: (username, display name, role, teams).
const DEMO_USERS: &[(&str, &str, Role, &[&str])] = &[
    (
        "lead",
        "Lee Lead",
        Role::Lead,
        &["support", "pr", "community", "product", "sales"],
    ),
    ("agent", "Ada Agent", Role::Agent, &["support", "community"]),
    ("agent2", "Bo Agent", Role::Agent, &["support"]),
    ("pr", "Pat PR", Role::Agent, &["pr"]),
    ("analyst", "Ana Lyst", Role::Analyst, &[]),
];

/// Creates (or resets) the demo users with a fresh password printed at every demo start, so a
/// visitor can try each role. Demo only: `serve` never creates users with known passwords.
async fn demo_users(crm: &Crm) -> Result<String> {
    let admin = crm
        .actor_for(1)
        .await
        .context("finding the admin user to create demo users")?;
    let password = format!("demo-{}", &uuid_like());
    let existing = crm
        .list_users(Some(&admin))
        .await
        .context("listing users")?;
    for (username, display, role, teams) in DEMO_USERS {
        let teams: Vec<String> = teams.iter().map(|t| t.to_string()).collect();
        match existing.iter().find(|user| user.username == *username) {
            Some(user) => {
                let update = UserUpdate {
                    password: Some(password.clone()),
                    teams: Some(teams),
                    ..UserUpdate::default()
                };
                crm.update_user(Some(&admin), user.id, &update)
                    .await
                    .with_context(|| format!("resetting demo user {username}"))?;
            }
            None => {
                let new = NewUser {
                    username: username.to_string(),
                    display_name: Some(display.to_string()),
                    email: Some(format!("{username}@demo.invalid")),
                    role: *role,
                    password: Some(password.clone()),
                    teams,
                    max_open_cases: Some(25),
                };
                crm.create_user(Some(&admin), &new)
                    .await
                    .with_context(|| format!("creating demo user {username}"))?;
            }
        }
    }
    Ok(password)
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..10)
        .map(|_| char::from(b"abcdefghjkmnpqrstuvwxyz23456789"[rng.random_range(0..31)]))
        .collect()
}

pub async fn run(config: &Config, history: usize, rate: f64) -> Result<()> {
    let mut runtime = serve::build(config, serve::Mode::Demo).await?;
    let crm = runtime
        .state
        .crm
        .clone()
        .context("the demo needs the CRM")?;
    let password = demo_users(&crm).await?;
    say!(
        "demo: sign in as lead, agent, agent2, pr or analyst with password {password} (reset at every demo start)"
    );
    let stored = runtime
        .store
        .stats()
        .await
        .context("counting stored posts")?;
    // The server answers at once and history is backfilled behind it, then the live replay
    // starts: the dashboard fills up as it goes. (Backfill opens cases: 20,000 posts take ≈ 15 s
    // on the 2-core development machine, too long to wait for a first screen.)
    let backfill_history = stored.posts == 0 && history > 0;
    if backfill_history {
        say!(
            "demo: backfilling {history} posts of history into {} while the server starts …",
            config.data_dir.display()
        );
    }
    let pipeline = runtime.pipeline.clone();
    let shutdown = runtime.shutdown.clone();
    let traffic = async move {
        if backfill_history {
            let started = std::time::Instant::now();
            match backfill(&pipeline, history).await {
                Ok(new) => say!(
                    "demo: {new} posts analysed, routed and indexed in {:.1} s",
                    started.elapsed().as_secs_f64()
                ),
                Err(error) => {
                    tracing::error!(
                        error = format!("{error:#}"),
                        "demo backfill stopped; what was stored is kept, the live replay goes on"
                    );
                }
            }
        }
        say!("demo: replaying live traffic at {rate} posts/second");
        replay(pipeline, rate).await;
    };
    // The traffic stops when the server shuts down, and the server waits for it before closing
    // the store (it used to run on until the store was closed under it, and warned that it could
    // not ingest). A batch cut off mid-transaction is rolled back: nothing accepted is lost.
    runtime.tasks.push(tokio::spawn(async move {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => {}
            () = traffic => {}
        }
    }));
    serve::serve(config, runtime).await
}
