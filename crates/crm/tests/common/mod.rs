//! Test harness: a migrated database per test on SQLite (always) and PostgreSQL (when
//! `SWITCHYARD_TEST_POSTGRES_URL` is set; each test gets its own schema, dropped afterwards), a
//! controllable clock, post builders and a recording reply sender.

#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use switchyard_crm::db::{DbPool, migrate_from_source_tree};
use switchyard_crm::replies::{DeliveryOutcome, OutgoingReply, ReplySender, SendFuture};
use switchyard_crm::{Crm, CrmConfig};
use switchyard_domain::{Channel, NewPost, Post, Priority, RouteDecision, Visibility};

/// A database for one test; dropping it removes the PostgreSQL schema.
pub struct TestDb {
    pub name: &'static str,
    pub pool: DbPool,
    _dir: Option<tempfile::TempDir>,
    pg_cleanup: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((url, schema)) = self.pg_cleanup.take() {
            // A fresh runtime on another thread: Drop may run inside the test's runtime.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    if let Ok(pool) = PgPoolOptions::new().max_connections(1).connect(&url).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP SCHEMA IF EXISTS {schema} CASCADE"
                        )))
                        .execute(&pool)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

async fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("crm.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(std::time::Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .unwrap();
    let pool = DbPool::Sqlite(pool);
    migrate_from_source_tree(&pool).await.unwrap();
    TestDb {
        name: "sqlite",
        pool,
        _dir: Some(dir),
        pg_cleanup: None,
    }
}

async fn postgres_db(url: &str, test: &str) -> TestDb {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let schema = format!(
        "crm_{}_{}_{}",
        test.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let options = PgConnectOptions::from_str(url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .unwrap();
    let pool = DbPool::Postgres(pool);
    migrate_from_source_tree(&pool).await.unwrap();
    TestDb {
        name: "postgres",
        pool,
        _dir: None,
        pg_cleanup: Some((url.to_string(), schema)),
    }
}

/// SQLite always; PostgreSQL too when configured (else a loud skip line).
pub async fn databases(test: &str) -> Vec<TestDb> {
    let mut out = vec![sqlite_db().await];
    match std::env::var("SWITCHYARD_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => out.push(postgres_db(&url, test).await),
        _ => eprintln!("SKIPPED (no postgres): {test} on PostgreSQL"),
    }
    out
}

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct TestClock(pub Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn new() -> Self {
        TestClock(Arc::new(Mutex::new(
            Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap(),
        )))
    }
    pub fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

/// A CRM on a test database with the default configuration, a test clock and a known admin
/// password.
pub async fn crm_on(db: &TestDb, clock: &TestClock) -> Crm {
    let mut config = CrmConfig::default();
    config.admin.password = Some("correct horse battery".into());
    config.admin.password_env = None;
    crm_with(db, clock, config).await
}

pub async fn crm_with(db: &TestDb, clock: &TestClock, config: CrmConfig) -> Crm {
    let clock_for_crm = clock.clone();
    let crm = Crm::new(db.pool.clone(), &config)
        .unwrap()
        .with_clock(Arc::new(move || clock_for_crm.now()));
    crm.start().await.unwrap();
    crm
}

/// A stored post as the pipeline hands it to the hook.
pub fn post(
    id: i64,
    channel: Channel,
    external_id: &str,
    handle: &str,
    followers: Option<u64>,
    text: &str,
    at: DateTime<Utc>,
) -> Post {
    let mut new = NewPost::new(channel, external_id, handle, text, at);
    new.author.followers = followers;
    Post {
        id,
        post: new,
        ingested_at: at,
    }
}

pub fn private(mut post: Post) -> Post {
    post.post.visibility = Visibility::Private;
    post
}

pub fn in_thread(mut post: Post, thread: &str, parent: &str) -> Post {
    post.post.thread_id = Some(thread.to_string());
    post.post.parent_id = Some(parent.to_string());
    post
}

pub fn routed(queue: &str, priority: Priority, sla: Option<&str>) -> RouteDecision {
    RouteDecision {
        queue: queue.to_string(),
        priority,
        tags: Vec::new(),
        sla_policy: sla.map(str::to_string),
        alerts: Vec::new(),
        matched_rules: vec!["test-rule".to_string()],
    }
}

/// A sender that records every call and, like a channel honouring idempotency keys, delivers each
/// key once: a repeated key returns the first message's id without sending again.
#[derive(Default, Clone)]
pub struct RecordingSender {
    pub calls: Arc<Mutex<Vec<OutgoingReply>>>,
    pub sent: Arc<Mutex<HashMap<String, String>>>,
    /// Outcomes to return before delivering (front first).
    pub scripted: Arc<Mutex<Vec<DeliveryOutcome>>>,
}

impl RecordingSender {
    pub fn distinct_sends(&self) -> usize {
        self.sent.lock().unwrap().len()
    }
}

impl ReplySender for RecordingSender {
    fn send<'a>(&'a self, reply: &'a OutgoingReply) -> SendFuture<'a> {
        Box::pin(async move {
            self.calls.lock().unwrap().push(reply.clone());
            let scripted = {
                let mut scripted = self.scripted.lock().unwrap();
                if scripted.is_empty() {
                    None
                } else {
                    Some(scripted.remove(0))
                }
            };
            if let Some(outcome) = scripted {
                return outcome;
            }
            let mut sent = self.sent.lock().unwrap();
            let count = sent.len();
            let id = sent
                .entry(reply.idempotency_key.clone())
                .or_insert_with(|| format!("{}-out-{}", reply.channel, count + 1))
                .clone();
            DeliveryOutcome::Delivered { external_id: id }
        })
    }
}
