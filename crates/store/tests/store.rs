//! The store's behaviour, run once against SQLite (a temporary directory) and once against
//! PostgreSQL (a unique schema, when SWITCHYARD_TEST_POSTGRES_URL is set; skipped loudly
//! otherwise): idempotent ingest, cursors in the ingest transaction, filters, paging, statistics,
//! volume buckets, corrections, search semantics and crash safety.

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::BTreeMap;
use switchyard_domain::{
    Analysis, Author, Channel, Contribution, NewPost, Prediction, Priority, RouteDecision,
    SentimentResult, VaderScores,
};
use switchyard_store::{
    Bucket, CursorUpdate, Db, IndexLocation, IngestItem, OpenOptions, PostFilter, Store, StoreError,
};

// ---------------------------------------------------------------- harness

/// A store under test and what is needed to reopen it or clean it up.
struct TestStore {
    store: Store,
    kind: Kind,
}

enum Kind {
    Sqlite(tempfile::TempDir),
    Postgres(SchemaGuard),
}

/// Drops the test's PostgreSQL schema when the test ends (also when it panics).
struct SchemaGuard {
    url: String,
    schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let url = self.url.clone();
        let schema = self.schema.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for cleanup");
            runtime.block_on(async {
                use sqlx::{Connection, Executor};
                if let Ok(mut conn) = sqlx::PgConnection::connect(&url).await {
                    let _ = conn
                        .execute(sqlx::AssertSqlSafe(format!(
                            "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                        )))
                        .await;
                }
            });
        })
        .join();
    }
}

fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

impl TestStore {
    async fn sqlite() -> TestStore {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path().to_str().unwrap())
            .await
            .expect("open sqlite store");
        TestStore {
            store,
            kind: Kind::Sqlite(dir),
        }
    }

    async fn postgres(test: &str) -> Option<TestStore> {
        let Ok(url) = std::env::var("SWITCHYARD_TEST_POSTGRES_URL") else {
            eprintln!("SKIPPED (no postgres): {test}");
            return None;
        };
        let schema = format!("t_{}", unique_suffix());
        let guard = SchemaGuard {
            url: url.clone(),
            schema: schema.clone(),
        };
        let store = Store::open_with(OpenOptions::new(&url).postgres_schema(&schema))
            .await
            .expect("open postgres store");
        Some(TestStore {
            store,
            kind: Kind::Postgres(guard),
        })
    }

    /// Opens the same database again, as a restarted process would.
    async fn reopen(&self) -> Store {
        match &self.kind {
            Kind::Sqlite(dir) => Store::open(dir.path().to_str().unwrap()).await.unwrap(),
            Kind::Postgres(guard) => Store::open_with(
                OpenOptions::new(&guard.url)
                    .postgres_schema(&guard.schema)
                    .index(IndexLocation::Ram),
            )
            .await
            .unwrap(),
        }
    }
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let test = super::TestStore::sqlite().await;
                    super::$name(&test).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(test) = super::TestStore::postgres(concat!("postgres::", stringify!($name))).await else {
                        return;
                    };
                    super::$name(&test).await;
                }
            )*
        }
    };
}

both_backends!(
    ingest_is_idempotent_across_and_within_batches,
    failing_ingest_moves_neither_posts_nor_cursor,
    every_field_survives_a_round_trip,
    filters_select_the_right_posts,
    keyset_paging_visits_every_post_once,
    stats_and_queue_counts_add_up,
    volume_buckets_by_hour_and_day,
    corrections_change_the_shown_label_and_keep_the_original,
    a_corrected_post_replaces_only_its_own_index_entry,
    update_route_moves_a_post_between_queues,
    batches_walk_every_post_in_id_order,
    search_follows_the_query_language,
    search_pages_and_counts,
    posts_survive_a_crash_and_the_index_catches_up,
    a_later_migration_runs_on_an_existing_database,
);

// ---------------------------------------------------------------- fixtures

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, hour, minute, 0).unwrap()
}

fn prediction(label: &str) -> Prediction {
    Prediction {
        label: label.into(),
        confidence: 0.9,
        model: "test@1".into(),
        explain: Vec::new(),
    }
}

fn analysis(compound: f64, language: &str, intent: &str) -> Analysis {
    let vader = VaderScores {
        neg: 0.0,
        neu: 1.0,
        pos: 0.0,
        compound,
    };
    Analysis {
        language: language.into(),
        language_confidence: 0.9,
        sentiment: SentimentResult::from_vader(vader),
        complaint: Some(prediction(if intent == "complaint" {
            "complaint"
        } else {
            "not_complaint"
        })),
        intent: Some(prediction(intent)),
        reason: None,
        urgency: None,
        toxicity: None,
    }
}

fn route(queue: &str, priority: Priority) -> RouteDecision {
    RouteDecision {
        queue: queue.to_string(),
        priority,
        tags: vec!["t1".to_string()],
        sla_policy: Some("standard".to_string()),
        alerts: Vec::new(),
        matched_rules: vec![format!("rule-{queue}")],
    }
}

fn item(
    channel: Channel,
    external_id: &str,
    author: &str,
    text: &str,
    created: DateTime<Utc>,
) -> IngestItem {
    IngestItem {
        post: NewPost::new(channel, external_id, author, text, created),
        analysis: analysis(0.0, "en", "question"),
        route: route("support", Priority::Normal),
    }
}

fn with(mut item: IngestItem, compound: f64, intent: &str, queue: &str) -> IngestItem {
    item.analysis = analysis(compound, &item.analysis.language, intent);
    item.route = route(queue, item.route.priority);
    item
}

fn query(text: &str) -> switchyard_query::Expr {
    switchyard_query::parse(text)
        .unwrap_or_else(|error| panic!("test query {text:?} does not parse: {error}"))
        .expr
}

async fn search_ids(store: &Store, text: &str) -> Vec<i64> {
    let (total, ids) = store.search(&query(text), 1000, 0).await.unwrap();
    assert_eq!(total as usize, ids.len(), "total for {text:?}");
    let mut ids = ids;
    ids.sort_unstable();
    ids
}

// ---------------------------------------------------------------- tests

async fn ingest_is_idempotent_across_and_within_batches(test: &TestStore) {
    let store = &test.store;
    let batch = vec![
        item(Channel::X, "1", "amy", "first", at(9, 0)),
        item(Channel::X, "2", "bob", "second", at(9, 1)),
        item(
            Channel::X,
            "1",
            "amy",
            "first again in the same batch",
            at(9, 2),
        ),
        item(
            Channel::Mastodon,
            "1",
            "cy",
            "same id, other channel",
            at(9, 3),
        ),
        item(Channel::X, "  ", "dan", "no id", at(9, 4)),
    ];
    let outcome = store.ingest(&batch, None).await.unwrap();
    assert_eq!(
        outcome
            .inserted
            .iter()
            .map(|(index, _)| *index)
            .collect::<Vec<_>>(),
        vec![0, 1, 3]
    );
    assert_eq!(outcome.duplicates, vec![2]);
    assert_eq!(outcome.rejected.len(), 1);
    assert_eq!(outcome.rejected[0].0, 4);
    assert!(outcome.rejected[0].1.contains("external id"));

    let again = store.ingest(&batch, None).await.unwrap();
    assert!(again.inserted.is_empty());
    assert_eq!(again.duplicates, vec![0, 1, 2, 3]);
    assert_eq!(store.stats().await.unwrap().posts, 3);

    // The first occurrence was kept, untouched by the repeat.
    let first = store
        .get_post(outcome.inserted[0].1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.post.post.text, "first");

    // A batch mixing stored and new posts: each new post gets its own id, in batch order.
    let mixed = vec![
        item(Channel::X, "3", "eve", "third", at(9, 5)),
        item(Channel::X, "2", "bob", "second, already stored", at(9, 6)),
        item(Channel::Bluesky, "1", "fay", "fourth", at(9, 7)),
    ];
    let outcome = store.ingest(&mixed, None).await.unwrap();
    assert_eq!(outcome.duplicates, vec![1]);
    assert_eq!(outcome.inserted.len(), 2);
    for &(index, id) in &outcome.inserted {
        let stored = store.get_post(id).await.unwrap().unwrap();
        assert_eq!(stored.post.post.external_id, mixed[index].post.external_id);
        assert_eq!(stored.post.post.channel, mixed[index].post.channel);
        assert_eq!(stored.post.post.text, mixed[index].post.text);
    }
    assert!(outcome.inserted[0].1 < outcome.inserted[1].1);

    // An empty batch with no cursor does nothing and succeeds.
    let empty = store.ingest(&[], None).await.unwrap();
    assert!(empty.inserted.is_empty() && empty.duplicates.is_empty());
}

async fn install_failing_trigger(store: &Store) {
    match store.db() {
        Db::Sqlite(pool) => {
            sqlx::query(
                "CREATE TRIGGER boom BEFORE INSERT ON posts WHEN NEW.queue = 'boom' \
                 BEGIN SELECT RAISE(ABORT, 'boom queue refused'); END",
            )
            .execute(pool)
            .await
            .unwrap();
        }
        Db::Postgres(pool) => {
            sqlx::query(
                "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.queue = 'boom' THEN RAISE EXCEPTION 'boom queue refused'; END IF; \
                 RETURN NEW; END $$",
            )
            .execute(pool)
            .await
            .unwrap();
            sqlx::query(
                "CREATE TRIGGER boom BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION boom()",
            )
            .execute(pool)
            .await
            .unwrap();
        }
    }
}

async fn failing_ingest_moves_neither_posts_nor_cursor(test: &TestStore) {
    let store = &test.store;
    let source = "mastodon:home".to_string();
    assert_eq!(store.get_cursor(&source).await.unwrap(), None);
    let first = vec![item(Channel::Mastodon, "100", "amy", "hello", at(8, 0))];
    store
        .ingest(
            &first,
            Some(CursorUpdate {
                source: source.clone(),
                cursor: "100".into(),
            }),
        )
        .await
        .unwrap();
    assert_eq!(
        store.get_cursor(&source).await.unwrap().as_deref(),
        Some("100")
    );

    install_failing_trigger(store).await;
    let failing = vec![
        item(Channel::Mastodon, "101", "bob", "fine", at(8, 1)),
        with(
            item(Channel::Mastodon, "102", "cy", "refused", at(8, 2)),
            0.0,
            "question",
            "boom",
        ),
    ];
    let error = store
        .ingest(
            &failing,
            Some(CursorUpdate {
                source: source.clone(),
                cursor: "102".into(),
            }),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Database { .. }), "{error}");
    assert!(error.to_string().contains("boom"), "{error}");
    assert_eq!(
        store.get_cursor(&source).await.unwrap().as_deref(),
        Some("100")
    );
    assert_eq!(
        store.stats().await.unwrap().posts,
        1,
        "no post of the failed batch stays"
    );
    assert_eq!(search_ids(store, "fine").await, Vec::<i64>::new());

    // Retrying without the bad item stores it and moves the cursor.
    store
        .ingest(
            &failing[..1],
            Some(CursorUpdate {
                source: source.clone(),
                cursor: "101".into(),
            }),
        )
        .await
        .unwrap();
    assert_eq!(
        store.get_cursor(&source).await.unwrap().as_deref(),
        Some("101")
    );
    let cursors = store.cursors().await.unwrap();
    assert_eq!(cursors.len(), 1);
    assert_eq!(cursors[0].cursor, "101");

    // A cursor alone (a poll that found nothing new) is saved too.
    store
        .ingest(
            &[],
            Some(CursorUpdate {
                source: source.clone(),
                cursor: "105".into(),
            }),
        )
        .await
        .unwrap();
    assert_eq!(
        store.get_cursor(&source).await.unwrap().as_deref(),
        Some("105")
    );
}

async fn every_field_survives_a_round_trip(test: &TestStore) {
    let store = &test.store;
    let mut full = item(
        Channel::X,
        "9001",
        "@Amy",
        "Ünïcödé, emoji 🚀 and a NUL \0 here",
        at(10, 30),
    );
    full.post.thread_id = Some("9000".into());
    full.post.parent_id = Some("8999".into());
    full.post.author = Author {
        handle: "Amy".into(),
        display_name: Some("Amy Pond".into()),
        followers: Some(123_456),
        verified: true,
    };
    full.post.language = Some("en".into());
    full.post.permalink = Some("https://x.com/amy/status/9001".into());
    full.post.engagement.likes = 5;
    full.post.engagement.shares = 6;
    full.post.engagement.replies = 7;
    full.post.engagement.views = Some(u64::MAX);
    full.post.meta = serde_json::json!({"airline": "delta", "nested": {"n": 1}});
    full.analysis.reason = Some(prediction("delay"));
    // Explanations name their features once per post in the stored form and must read back
    // the same (the reason repeats the sentiment's features).
    full.analysis.sentiment.explain = vec![
        Contribution {
            feature: "no response".into(),
            weight: 1.25,
        },
        Contribution {
            feature: "starts with \"<user>\" 🚀".into(),
            weight: -0.5,
        },
    ];
    if let Some(reason) = full.analysis.reason.as_mut() {
        reason.explain = full.analysis.sentiment.explain.clone();
    }
    full.route.priority = Priority::Urgent;
    full.route.alerts = vec!["pager".into()];
    let outcome = store
        .ingest(std::slice::from_ref(&full), None)
        .await
        .unwrap();
    let id = outcome.inserted[0].1;
    let stored = store.get_post(id).await.unwrap().unwrap();
    let post = &stored.post.post;
    assert_eq!(stored.post.id, id);
    assert_eq!(post.channel, Channel::X);
    assert_eq!(post.external_id, "9001");
    assert_eq!(post.thread_id.as_deref(), Some("9000"));
    assert_eq!(post.parent_id.as_deref(), Some("8999"));
    assert_eq!(post.author, full.post.author);
    assert_eq!(post.text, "Ünïcödé, emoji 🚀 and a NUL \u{FFFD} here");
    assert_eq!(post.language.as_deref(), Some("en"));
    assert_eq!(post.created_at, at(10, 30));
    assert_eq!(post.visibility, full.post.visibility);
    assert_eq!(post.permalink, full.post.permalink);
    assert_eq!(post.engagement.likes, 5);
    assert_eq!(post.engagement.shares, 6);
    assert_eq!(post.engagement.replies, 7);
    assert_eq!(
        post.engagement.views,
        Some(i64::MAX as u64),
        "counts beyond i64 saturate"
    );
    assert_eq!(post.meta, full.post.meta);
    assert_eq!(stored.analysis, full.analysis);
    assert_eq!(stored.route, full.route);
    assert!(stored.corrections.is_empty());
    assert!(stored.post.ingested_at <= Utc::now());
    assert!(store.get_post(id + 1000).await.unwrap().is_none());

    // Rows stored by earlier versions hold the analysis as an object, with explanations as
    // objects or as [feature, weight] pairs: both still read.
    let object = serde_json::to_value(&full.analysis).unwrap();
    let mut pairs = object.clone();
    pairs["sentiment"]["explain"] =
        serde_json::json!([["no response", 1.25], ["starts with \"<user>\" 🚀", -0.5]]);
    for older in [object, pairs] {
        let json = older.to_string();
        match store.db() {
            Db::Sqlite(pool) => {
                sqlx::query("UPDATE posts SET analysis = $1 WHERE id = $2")
                    .bind(&json)
                    .bind(id)
                    .execute(pool)
                    .await
                    .unwrap();
            }
            Db::Postgres(pool) => {
                sqlx::query("UPDATE posts SET analysis = $1::jsonb WHERE id = $2")
                    .bind(&json)
                    .bind(id)
                    .execute(pool)
                    .await
                    .unwrap();
            }
        }
        let stored = store.get_post(id).await.unwrap().unwrap();
        assert_eq!(stored.analysis, full.analysis, "{json}");
    }
}

/// 20 posts over two channels, sentiments, intents, queues, languages and authors.
async fn seed(store: &Store) -> Vec<i64> {
    let mut batch = Vec::new();
    for n in 0..20u32 {
        let channel = if n % 2 == 0 {
            Channel::X
        } else {
            Channel::Mastodon
        };
        let compound = match n % 3 {
            0 => 0.6,
            1 => -0.6,
            _ => 0.0,
        };
        let intent = if n % 4 == 0 { "complaint" } else { "question" };
        let queue = if n % 5 == 0 { "pr" } else { "support" };
        let mut entry = with(
            item(
                channel,
                &format!("p{n}"),
                &format!("user{}", n % 3),
                &format!("post number {n}"),
                at(n / 4, n),
            ),
            compound,
            intent,
            queue,
        );
        if n >= 15 {
            entry.analysis.language = "de".into();
        }
        if n == 0 {
            entry.route.priority = Priority::Urgent;
        }
        batch.push(entry);
    }
    let outcome = store.ingest(&batch, None).await.unwrap();
    assert_eq!(outcome.inserted.len(), 20);
    outcome.inserted.into_iter().map(|(_, id)| id).collect()
}

async fn count(store: &Store, filter: PostFilter) -> usize {
    let filter = PostFilter {
        limit: Some(1000),
        ..filter
    };
    store.list_posts(&filter).await.unwrap().items.len()
}

async fn filters_select_the_right_posts(test: &TestStore) {
    let store = &test.store;
    let ids = seed(store).await;
    assert_eq!(count(store, PostFilter::default()).await, 20);
    assert_eq!(
        count(
            store,
            PostFilter {
                channel: Some(Channel::X),
                ..Default::default()
            }
        )
        .await,
        10
    );
    assert_eq!(
        count(
            store,
            PostFilter {
                queue: Some("pr".into()),
                ..Default::default()
            }
        )
        .await,
        4
    );
    assert_eq!(
        count(
            store,
            PostFilter {
                sentiment: Some("negative".into()),
                ..Default::default()
            }
        )
        .await,
        7
    );
    assert_eq!(
        count(
            store,
            PostFilter {
                intent: Some("complaint".into()),
                ..Default::default()
            }
        )
        .await,
        5
    );
    assert_eq!(
        count(
            store,
            PostFilter {
                language: Some("de".into()),
                ..Default::default()
            }
        )
        .await,
        5
    );
    assert_eq!(
        count(
            store,
            PostFilter {
                author: Some("@user1".into()),
                ..Default::default()
            }
        )
        .await,
        7
    );
    // Hours 1 and 2 (posts 4..=11), `until` exclusive.
    assert_eq!(
        count(
            store,
            PostFilter {
                since: Some(at(1, 0)),
                until: Some(at(3, 0)),
                ..Default::default()
            }
        )
        .await,
        8
    );
    assert_eq!(
        count(
            store,
            PostFilter {
                channel: Some(Channel::X),
                sentiment: Some("positive".into()),
                queue: Some("support".into()),
                ..Default::default()
            }
        )
        .await,
        3, // n = 6, 12, 18 (n = 0 is in the pr queue)
    );
    let picked = store
        .list_posts(&PostFilter {
            ids: Some(vec![ids[3], ids[7], 999_999]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        picked.items.iter().map(|p| p.post.id).collect::<Vec<_>>(),
        vec![ids[7], ids[3]]
    );
    assert_eq!(
        count(
            store,
            PostFilter {
                ids: Some(vec![]),
                ..Default::default()
            }
        )
        .await,
        0
    );
    let too_many = store
        .list_posts(&PostFilter {
            ids: Some(vec![1; PostFilter::MAX_IDS + 1]),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(too_many, StoreError::Invalid(_)));
}

async fn keyset_paging_visits_every_post_once(test: &TestStore) {
    let store = &test.store;
    let mut ids = seed(store).await;
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let mut seen = Vec::new();
    let mut before = None;
    let mut pages = 0;
    loop {
        let page = store
            .list_posts(&PostFilter {
                limit: Some(7),
                before_id: before,
                ..Default::default()
            })
            .await
            .unwrap();
        pages += 1;
        assert!(page.items.len() <= 7);
        seen.extend(page.items.iter().map(|p| p.post.id));
        match page.next_before_id {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids, "newest first, each post once");
    // An exact multiple of the page size ends without an empty extra page.
    let page = store
        .list_posts(&PostFilter {
            limit: Some(20),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 20);
    assert_eq!(page.next_before_id, None);
}

async fn stats_and_queue_counts_add_up(test: &TestStore) {
    let store = &test.store;
    let empty = store.stats().await.unwrap();
    assert_eq!(empty.posts, 0);
    assert!(
        serde_json::to_string(&empty)
            .unwrap()
            .contains("\"posts\":0")
    );
    seed(store).await;
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.posts, 20);
    assert_eq!(
        stats.by_channel,
        BTreeMap::from([("mastodon".to_string(), 10), ("x".to_string(), 10)])
    );
    assert_eq!(
        stats.by_sentiment,
        BTreeMap::from([
            ("negative".to_string(), 7),
            ("neutral".to_string(), 6),
            ("positive".to_string(), 7)
        ])
    );
    assert_eq!(
        stats.by_queue,
        BTreeMap::from([("pr".to_string(), 4), ("support".to_string(), 16)])
    );
    let json = serde_json::to_value(&stats).unwrap();
    assert_eq!(json["posts"], 20);
    assert_eq!(json["by_queue"]["pr"], 4);

    let queues = store.queue_counts().await.unwrap();
    assert_eq!(queues.len(), 2);
    assert_eq!(queues[0].queue, "pr");
    assert_eq!(queues[0].count, 4);
    assert_eq!(queues[0].urgent, 1);
    assert_eq!(queues[0].oldest_created_at, Some(at(0, 0)));
    assert_eq!(queues[1].queue, "support");
    assert_eq!(queues[1].count, 16);
    assert_eq!(queues[1].oldest_created_at, Some(at(0, 1)));
}

async fn volume_buckets_by_hour_and_day(test: &TestStore) {
    let store = &test.store;
    let batch = vec![
        with(
            item(Channel::X, "v1", "a", "one", at(9, 5)),
            0.5,
            "question",
            "support",
        ),
        with(
            item(Channel::X, "v2", "a", "two", at(9, 55)),
            -0.5,
            "question",
            "support",
        ),
        with(
            item(Channel::X, "v3", "a", "three", at(11, 0)),
            0.0,
            "question",
            "pr",
        ),
        with(
            item(Channel::Mastodon, "v4", "a", "four", at(11, 30)),
            0.8,
            "question",
            "pr",
        ),
        with(
            item(Channel::X, "v5", "a", "five", at(9, 0) + Duration::days(1)),
            -0.9,
            "question",
            "support",
        ),
    ];
    store.ingest(&batch, None).await.unwrap();
    let hourly = store
        .volume(
            Bucket::Hour,
            Some(at(8, 30)),
            Some(at(12, 0)),
            &PostFilter::default(),
        )
        .await
        .unwrap();
    let starts = hourly.iter().map(|p| p.start).collect::<Vec<_>>();
    assert_eq!(starts, vec![at(8, 0), at(9, 0), at(10, 0), at(11, 0)]);
    let totals = hourly.iter().map(|p| p.total).collect::<Vec<_>>();
    assert_eq!(totals, vec![0, 2, 0, 2]);
    assert_eq!(
        (hourly[1].positive, hourly[1].negative, hourly[1].neutral),
        (1, 1, 0)
    );
    assert_eq!(hourly[1].avg_compound, Some(0.0));
    assert_eq!(hourly[0].avg_compound, None);
    assert!((hourly[3].avg_compound.unwrap() - 0.4).abs() < 1e-9);

    let daily = store
        .volume(Bucket::Day, None, None, &PostFilter::default())
        .await
        .unwrap();
    assert_eq!(daily.len(), 2);
    assert_eq!(
        daily[0].start,
        Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap()
    );
    assert_eq!(daily[0].total, 4);
    assert_eq!(daily[1].total, 1);
    assert_eq!(daily[1].negative, 1);

    let only_pr = store
        .volume(
            Bucket::Day,
            None,
            None,
            &PostFilter {
                queue: Some("pr".into()),
                channel: Some(Channel::X),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(only_pr.len(), 1);
    assert_eq!(only_pr[0].total, 1);

    let none = store
        .volume(
            Bucket::Hour,
            None,
            None,
            &PostFilter {
                queue: Some("nobody".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(none.is_empty());
    let huge = store
        .volume(
            Bucket::Hour,
            Some(Utc.with_ymd_and_hms(1900, 1, 1, 0, 0, 0).unwrap()),
            Some(Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap()),
            &PostFilter::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(huge, StoreError::Invalid(_)), "{huge}");
}

/// Re-indexing a post deletes its older entry by id: the post is found once, with its new
/// label, and its neighbours (ids either side of it) are untouched.
async fn a_corrected_post_replaces_only_its_own_index_entry(test: &TestStore) {
    let store = &test.store;
    let batch: Vec<IngestItem> = (0..5)
        .map(|i| {
            item(
                Channel::X,
                &format!("n{i}"),
                "amy",
                "refund still missing",
                at(9, i),
            )
        })
        .collect();
    let ids: Vec<i64> = store
        .ingest(&batch, None)
        .await
        .unwrap()
        .inserted
        .iter()
        .map(|(_, id)| *id)
        .collect();
    assert_eq!(ids.len(), 5);
    for (index, label) in [(2, "negative"), (1, "positive"), (3, "positive")] {
        store
            .add_correction(ids[index], "sentiment", label, "agent.smith")
            .await
            .unwrap();
    }
    assert_eq!(
        search_ids(store, "refund").await,
        ids,
        "each post found once"
    );
    assert_eq!(search_ids(store, "sentiment:negative").await, vec![ids[2]]);
    assert_eq!(
        search_ids(store, "sentiment:positive").await,
        vec![ids[1], ids[3]]
    );
    assert_eq!(
        search_ids(store, "sentiment:neutral").await,
        vec![ids[0], ids[4]]
    );
    // The same post given twice in one call is indexed once, as its last copy.
    let post = store.get_post(ids[0]).await.unwrap().expect("stored post");
    store
        .search_index()
        .index_posts(&[post.clone(), post])
        .unwrap();
    store.commit_index().await.unwrap();
    assert_eq!(
        search_ids(store, "refund").await,
        ids,
        "still each post found once"
    );
}

async fn corrections_change_the_shown_label_and_keep_the_original(test: &TestStore) {
    let store = &test.store;
    let batch = vec![with(
        item(
            Channel::X,
            "c1",
            "amy",
            "status match three weeks no response",
            at(9, 0),
        ),
        0.0,
        "question",
        "support",
    )];
    let id = store.ingest(&batch, None).await.unwrap().inserted[0].1;
    assert_eq!(
        search_ids(store, "sentiment:negative").await,
        Vec::<i64>::new()
    );

    let first = store
        .add_correction(id, "Sentiment", "negative", "agent.smith")
        .await
        .unwrap();
    assert_eq!(first.task, "sentiment");
    assert_eq!(first.previous_label.as_deref(), Some("neutral"));
    assert_eq!(first.model_label.as_deref(), Some("neutral"));
    assert_eq!(first.user, "agent.smith");

    let second = store
        .add_correction(id, "sentiment", "positive", "lead.jones")
        .await
        .unwrap();
    assert_eq!(second.previous_label.as_deref(), Some("negative"));
    assert_eq!(
        second.model_label.as_deref(),
        Some("neutral"),
        "the model's original is kept"
    );
    store
        .add_correction(id, "reason", "no_response", "agent.smith")
        .await
        .unwrap();

    let stored = store.get_post(id).await.unwrap().unwrap();
    assert_eq!(stored.analysis.sentiment.label, "positive");
    assert_eq!(stored.analysis.sentiment.model, "human:lead.jones");
    assert_eq!(
        stored.analysis.sentiment.vader.compound, 0.0,
        "scores stay the model's"
    );
    assert_eq!(stored.analysis.label("reason"), Some("no_response"));
    assert_eq!(stored.corrections.len(), 3);
    assert_eq!(stored.corrections[2].previous_label, None);

    let all = store.corrections().await.unwrap();
    assert_eq!(
        all.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(),
        vec!["negative", "positive", "no_response"]
    );
    assert_eq!(
        count(
            store,
            PostFilter {
                sentiment: Some("positive".into()),
                ..Default::default()
            }
        )
        .await,
        1
    );
    assert_eq!(
        store.stats().await.unwrap().by_sentiment.get("positive"),
        Some(&1)
    );
    assert_eq!(search_ids(store, "sentiment:positive").await, vec![id]);
    assert_eq!(search_ids(store, "reason:no_response").await, vec![id]);
    assert_eq!(
        search_ids(store, "sentiment:neutral").await,
        Vec::<i64>::new()
    );

    assert!(matches!(
        store
            .add_correction(id, "mood", "happy", "a")
            .await
            .unwrap_err(),
        StoreError::Invalid(_)
    ));
    assert!(matches!(
        store
            .add_correction(id, "intent", "  ", "a")
            .await
            .unwrap_err(),
        StoreError::Invalid(_)
    ));
    assert!(matches!(
        store
            .add_correction(id + 100, "intent", "praise", "a")
            .await
            .unwrap_err(),
        StoreError::PostNotFound(_)
    ));
}

async fn update_route_moves_a_post_between_queues(test: &TestStore) {
    let store = &test.store;
    let id = store
        .ingest(&[item(Channel::X, "r1", "amy", "help", at(9, 0))], None)
        .await
        .unwrap()
        .inserted[0]
        .1;
    let mut decision = route("pr", Priority::High);
    decision.tags = vec!["crisis".into()];
    store.update_route(id, &decision).await.unwrap();
    let stored = store.get_post(id).await.unwrap().unwrap();
    assert_eq!(stored.route, decision);
    assert_eq!(store.stats().await.unwrap().by_queue.get("pr"), Some(&1));
    // An empty queue name is the unrouted queue, never nowhere.
    store
        .update_route(
            id,
            &RouteDecision {
                queue: " ".into(),
                ..RouteDecision::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.get_post(id).await.unwrap().unwrap().route.queue,
        "unrouted"
    );
    assert!(matches!(
        store.update_route(id + 50, &decision).await.unwrap_err(),
        StoreError::PostNotFound(_)
    ));
}

async fn batches_walk_every_post_in_id_order(test: &TestStore) {
    let store = &test.store;
    let mut ids = seed(store).await;
    ids.sort_unstable();
    let mut walked = Vec::new();
    let mut batches = store.posts_in_batches(None, 6);
    while let Some(batch) = batches.next().await.unwrap() {
        assert!(batch.len() <= 6);
        walked.extend(batch.iter().map(|p| p.post.id));
    }
    assert_eq!(walked, ids);
    let mut recent = store.posts_in_batches(Some(at(4, 0)), 100);
    let batch = recent.next().await.unwrap().unwrap();
    assert_eq!(batch.len(), 4, "posts 16..=19 were created at hour 4");
    assert!(recent.next().await.unwrap().is_none());
}

async fn search_follows_the_query_language(test: &TestStore) {
    let store = &test.store;
    let mut batch = vec![
        item(
            Channel::X,
            "s1",
            "amy",
            "My flight is LATE again #delta",
            at(9, 0),
        ), // 0
        item(
            Channel::X,
            "s2",
            "bob",
            "chocolate cake on board, lovely",
            at(9, 1),
        ), // 1
        item(
            Channel::Mastodon,
            "s3",
            "cy",
            "@delta lost luggage at JFK",
            at(9, 2),
        ), // 2
        item(
            Channel::X,
            "s4",
            "dan",
            "luggage was lost, delivery promised",
            at(9, 3),
        ), // 3
        item(
            Channel::X,
            "s5",
            "eve",
            "refund to my credit card please https://x.co/1",
            at(9, 4),
        ), // 4
        item(
            Channel::X,
            "s6",
            "fay",
            "the credit card refund never came",
            at(9, 5),
        ), // 5
        item(
            Channel::X,
            "s7",
            "gus",
            "Café au lait was délicieux, delivered on time",
            at(9, 6),
        ), // 6
        item(
            Channel::X,
            "s8",
            "hal",
            "refund one two three four five credit",
            at(9, 7),
        ), // 7
    ];
    batch[1].analysis = analysis(0.7, "en", "praise");
    batch[2].analysis = analysis(-0.6, "en", "complaint");
    batch[2].post.author.followers = Some(50_000);
    batch[2].post.author.verified = true;
    batch[3].analysis = analysis(-0.4, "en-US", "complaint");
    batch[3].post.author.followers = Some(20);
    batch[3].post.parent_id = Some("s3".into());
    batch[6].analysis = analysis(0.5, "fr", "praise");
    let outcome = store.ingest(&batch, None).await.unwrap();
    let id = |index: usize| outcome.inserted[index].1;
    let ids = |indices: &[usize]| {
        let mut found = indices.iter().map(|&i| id(i)).collect::<Vec<_>>();
        found.sort_unstable();
        found
    };

    // Whole folded tokens, not substrings; case and accents folded.
    assert_eq!(search_ids(store, "late").await, ids(&[0]));
    assert_eq!(search_ids(store, "cafe").await, ids(&[6]));
    assert_eq!(search_ids(store, "DELICIEUX").await, ids(&[6]));
    // A plain word finds hashtags and mentions; a sigil only those.
    assert_eq!(search_ids(store, "delta").await, ids(&[0, 2]));
    assert_eq!(search_ids(store, "#delta").await, ids(&[0]));
    assert_eq!(search_ids(store, "@delta").await, ids(&[2]));
    // Phrases are consecutive tokens.
    assert_eq!(search_ids(store, "\"lost luggage\"").await, ids(&[2]));
    assert_eq!(search_ids(store, "\"credit card\"").await, ids(&[4, 5]));
    // Prefixes.
    assert_eq!(search_ids(store, "deliver*").await, ids(&[3, 6]));
    assert_eq!(search_ids(store, "#del*").await, ids(&[0]));
    // Boolean operators.
    assert_eq!(search_ids(store, "luggage AND lost").await, ids(&[2, 3]));
    assert_eq!(search_ids(store, "luggage -jfk").await, ids(&[3]));
    assert_eq!(search_ids(store, "late OR chocolate").await, ids(&[0, 1]));
    assert_eq!(search_ids(store, "NOT refund").await, ids(&[0, 1, 2, 3, 6]));
    assert_eq!(
        search_ids(store, "(luggage OR refund) NOT \"credit card\"").await,
        ids(&[2, 3, 7])
    );
    // NEAR: either order, at most n tokens between.
    assert_eq!(search_ids(store, "refund NEAR/3 card").await, ids(&[4, 5]));
    assert_eq!(search_ids(store, "card NEAR/0 refund").await, ids(&[5]));
    assert_eq!(
        search_ids(store, "refund NEAR/2 credit").await,
        ids(&[4, 5])
    );
    assert_eq!(
        search_ids(store, "refund NEAR/5 credit").await,
        ids(&[4, 5, 7])
    );
    assert_eq!(
        search_ids(store, "refund NEAR/4 \"credit card\"").await,
        ids(&[4, 5])
    );
    assert_eq!(
        search_ids(store, "NOT (refund NEAR/1 credit)").await,
        ids(&[0, 1, 2, 3, 4, 6, 7])
    );
    assert_eq!(
        search_ids(store, "refund -(refund NEAR/1 card)").await,
        ids(&[4, 7])
    );
    // Field filters.
    assert_eq!(search_ids(store, "channel:mastodon").await, ids(&[2]));
    assert_eq!(search_ids(store, "author:@CY").await, ids(&[2]));
    assert_eq!(search_ids(store, "lang:fr").await, ids(&[6]));
    assert_eq!(search_ids(store, "lang:en luggage").await, ids(&[2, 3]));
    assert_eq!(search_ids(store, "lang:en-us").await, ids(&[3]));
    assert_eq!(search_ids(store, "sentiment:negative").await, ids(&[2, 3]));
    assert_eq!(search_ids(store, "intent:praise").await, ids(&[1, 6]));
    assert_eq!(search_ids(store, "followers:>1000").await, ids(&[2]));
    assert_eq!(search_ids(store, "followers:<100").await, ids(&[3]));
    assert_eq!(search_ids(store, "has:link").await, ids(&[4]));
    assert_eq!(search_ids(store, "has:mention").await, ids(&[2]));
    assert_eq!(search_ids(store, "has:hashtag").await, ids(&[0]));
    assert_eq!(search_ids(store, "is:reply").await, ids(&[3]));
    assert_eq!(search_ids(store, "is:verified").await, ids(&[2]));
    assert_eq!(search_ids(store, "is:public luggage").await, ids(&[2, 3]));
    assert_eq!(
        search_ids(store, "nothingmatchesthis").await,
        Vec::<i64>::new()
    );

    // Every answer agrees with the query crate's matcher over all posts.
    for text in [
        "luggage OR late",
        "refund NEAR/3 card",
        "NOT (refund NEAR/1 credit) lang:en",
        "deliver* -cafe",
        "#delta OR @delta",
        "followers:>=20 sentiment:negative",
    ] {
        let expr = query(text);
        let matcher = switchyard_query::Matcher::new(&expr);
        let mut expected = Vec::new();
        for (index, entry) in batch.iter().enumerate() {
            let view =
                switchyard_query::matcher::PostView::with_analysis(&entry.post, &entry.analysis);
            if matcher.matches(&view) {
                expected.push(id(index));
            }
        }
        expected.sort_unstable();
        assert_eq!(search_ids(store, text).await, expected, "query {text:?}");
    }
}

async fn search_pages_and_counts(test: &TestStore) {
    let store = &test.store;
    let batch = (0..30)
        .map(|n| {
            item(
                Channel::X,
                &format!("pg{n}"),
                "amy",
                &format!("delay number {n}"),
                at(9, n),
            )
        })
        .collect::<Vec<_>>();
    let outcome = store.ingest(&batch, None).await.unwrap();
    let mut all = outcome
        .inserted
        .iter()
        .map(|(_, id)| *id)
        .collect::<Vec<_>>();
    all.sort_unstable_by(|a, b| b.cmp(a));
    let (total, first) = store.search(&query("delay"), 10, 0).await.unwrap();
    assert_eq!(total, 30);
    assert_eq!(first, all[..10].to_vec(), "newest first");
    let (_, third) = store.search(&query("delay"), 10, 20).await.unwrap();
    assert_eq!(third, all[20..].to_vec());
    let (total, beyond) = store.search(&query("delay"), 10, 40).await.unwrap();
    assert_eq!((total, beyond.len()), (30, 0));
    // Absurd paging values are clamped, not a panic.
    let (total, huge) = store
        .search(&query("delay"), usize::MAX, usize::MAX)
        .await
        .unwrap();
    assert_eq!((total, huge.len()), (30, 0));
    let (_, everything) = store.search(&query("delay"), usize::MAX, 0).await.unwrap();
    assert_eq!(everything.len(), 30);
    let (_, none) = store.search(&query("delay"), 0, 0).await.unwrap();
    assert!(none.is_empty());
    // The post-filtered path pages the same way.
    let (total, near) = store
        .search(&query("delay NEAR/0 number"), 10, 25)
        .await
        .unwrap();
    assert_eq!(total, 30);
    assert_eq!(near, all[25..].to_vec());
}

/// Opens the crash test's store: a directory of its own for SQLite (the test's main store holds
/// the index lock of its directory), the test's schema for PostgreSQL.
async fn open_for_crash(test: &TestStore, dir: Option<&std::path::Path>) -> Store {
    match dir {
        Some(dir) => Store::open(dir.to_str().unwrap()).await.unwrap(),
        None => test.reopen().await,
    }
}

async fn posts_survive_a_crash_and_the_index_catches_up(test: &TestStore) {
    let own_dir = match &test.kind {
        Kind::Sqlite(_) => Some(tempfile::tempdir().unwrap()),
        Kind::Postgres(_) => None,
    };
    let dir = own_dir.as_ref().map(|dir| dir.path());
    let batch = (0..50)
        .map(|n| {
            item(
                Channel::Feed,
                &format!("guid-{n}"),
                "blog",
                &format!("outage report {n}"),
                at(12, n % 60),
            )
        })
        .collect::<Vec<_>>();
    {
        // Ingest and "crash": drop the store without closing it or committing the index.
        let store = open_for_crash(test, dir).await;
        let outcome = store.ingest(&batch, None).await.unwrap();
        assert_eq!(outcome.inserted.len(), 50);
        assert!(
            store.search_index().pending() > 0,
            "the index commit is still pending"
        );
        drop(store);
    }
    let reopened = open_for_crash(test, dir).await;
    assert_eq!(
        reopened.stats().await.unwrap().by_channel.get("feed"),
        Some(&50)
    );
    assert_eq!(search_ids(&reopened, "outage").await.len(), 50);
    reopened.close().await.unwrap();
    drop(reopened);
    // Reopening again indexes nothing twice.
    let again = open_for_crash(test, dir).await;
    assert_eq!(again.search(&query("outage"), 5, 0).await.unwrap().0, 50);
    assert_eq!(again.catch_up_index().await.unwrap(), 0);
    // Ingesting the same batch after the restart adds nothing.
    assert!(
        again
            .ingest(&batch, None)
            .await
            .unwrap()
            .inserted
            .is_empty()
    );
    again.close().await.unwrap();
}

async fn a_later_migration_runs_on_an_existing_database(test: &TestStore) {
    // Migrations are recorded; reopening runs nothing twice, and a migration numbered after the
    // store's (as the CRM's 0100+ files are) is applied on top of an existing schema.
    let store = &test.store;
    seed(store).await;
    let applied: i64 = match store.db() {
        Db::Sqlite(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(pool)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(pool)
            .await
            .unwrap(),
    };
    let embedded = match store.db() {
        Db::Sqlite(_) => switchyard_store::SQLITE_MIGRATIONS.iter().count(),
        Db::Postgres(_) => switchyard_store::POSTGRES_MIGRATIONS.iter().count(),
    };
    assert_eq!(applied as usize, embedded);
    let reopened = test.reopen().await;
    assert_eq!(reopened.stats().await.unwrap().posts, 20);

    // A later file in the migration folder (as the CRM's 0100+ files are) runs on top of the
    // existing schema: write the embedded set plus one more file and run that folder.
    let folder = tempfile::tempdir().unwrap();
    let embedded_set = match store.db() {
        Db::Sqlite(_) => &switchyard_store::SQLITE_MIGRATIONS,
        Db::Postgres(_) => &switchyard_store::POSTGRES_MIGRATIONS,
    };
    for migration in embedded_set.iter() {
        let name = format!(
            "{:04}_{}.sql",
            migration.version,
            migration.description.replace(' ', "_")
        );
        std::fs::write(folder.path().join(name), migration.sql.as_str()).unwrap();
    }
    std::fs::write(
        folder.path().join("9100_later_feature.sql"),
        "CREATE TABLE later_feature (id BIGINT PRIMARY KEY, post_id BIGINT REFERENCES posts (id));",
    )
    .unwrap();
    let migrator = sqlx::migrate::Migrator::new(folder.path()).await.unwrap();
    match store.db() {
        Db::Sqlite(pool) => {
            migrator.run(pool).await.unwrap();
            sqlx::query("INSERT INTO later_feature (id, post_id) SELECT id, id FROM posts")
                .execute(pool)
                .await
                .unwrap();
        }
        Db::Postgres(pool) => {
            migrator.run(pool).await.unwrap();
            sqlx::query("INSERT INTO later_feature (id, post_id) SELECT id, id FROM posts")
                .execute(pool)
                .await
                .unwrap();
        }
    }
    let rows: i64 = match store.db() {
        Db::Sqlite(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM later_feature")
            .fetch_one(pool)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM later_feature")
            .fetch_one(pool)
            .await
            .unwrap(),
    };
    assert_eq!(rows, 20);
}

// ---------------------------------------------------------------- upgrade from three tables

/// A database written before migration 0003 (posts, post_analysis and post_routes as three
/// tables) opens with every post, label and route intact, filterable and searchable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_stored_in_three_tables_survive_the_merge_into_one() {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("switchyard.db");

    // The schema as it was before 0003: the embedded migrations numbered below 3.
    let folder = tempfile::tempdir().unwrap();
    for migration in switchyard_store::SQLITE_MIGRATIONS
        .iter()
        .filter(|m| m.version < 3)
    {
        let name = format!(
            "{:04}_{}.sql",
            migration.version,
            migration.description.replace(' ', "_")
        );
        std::fs::write(folder.path().join(name), migration.sql.as_str()).unwrap();
    }
    let pool = SqlitePool::connect_with(
        SqliteConnectOptions::new()
            .filename(&db_path)
            .create_if_missing(true),
    )
    .await
    .unwrap();
    sqlx::migrate::Migrator::new(folder.path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();

    let old_posts = [
        ("1", "amy", "my bag is lost", -0.6, "complaint", "support"),
        (
            "2",
            "bob",
            "how do I change my seat",
            0.0,
            "question",
            "sales",
        ),
        (
            "3",
            "cy",
            "thanks for the upgrade",
            0.7,
            "praise",
            "community",
        ),
    ];
    for (external_id, author, text, compound, intent, queue) in old_posts {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO posts (channel, external_id, author_handle, text, created_at, \
             ingested_at, visibility) VALUES ('x', ?, ?, ?, 1000, 2000, 'public') RETURNING id",
        )
        .bind(external_id)
        .bind(author)
        .bind(text)
        .fetch_one(&pool)
        .await
        .unwrap();
        let stored = analysis(compound, "en", intent);
        sqlx::query(
            "INSERT INTO post_analysis (post_id, language, sentiment, compound, complaint, \
             intent, analysis) VALUES (?, 'en', ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(stored.sentiment.label.as_str())
        .bind(compound)
        .bind(stored.label("complaint").unwrap())
        .bind(intent)
        .bind(serde_json::to_string(&stored).unwrap())
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO post_routes (post_id, queue, priority, tags, alerts, matched_rules, \
             routed_at) VALUES (?, ?, 'high', '[\"t1\"]', '[]', '[\"old-rule\"]', 2000)",
        )
        .bind(id)
        .bind(queue)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.posts, 3);
    assert_eq!(stats.by_queue.get("sales"), Some(&1));
    assert_eq!(stats.by_sentiment.get("negative"), Some(&1));
    let page = store
        .list_posts(&PostFilter {
            queue: Some("support".into()),
            ..PostFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let post = &page.items[0];
    assert_eq!(post.post.post.text, "my bag is lost");
    assert_eq!(post.analysis.label("intent"), Some("complaint"));
    assert_eq!(post.route.matched_rules, vec!["old-rule".to_string()]);
    assert_eq!(post.route.priority, Priority::High);
    assert_eq!(
        count(
            &store,
            PostFilter {
                intent: Some("praise".into()),
                ..PostFilter::default()
            }
        )
        .await,
        1
    );
    // The search index is built from the merged rows on open.
    assert_eq!(
        search_ids(&store, "seat AND intent:question").await.len(),
        1
    );
    store.close().await.unwrap();
}
