//! The ingest flow end to end on a real store: import with progress and rejections, idempotent
//! re-import, search after import, live broadcast, hooks, loop prevention, cursors, back-test.

use chrono::{TimeZone, Utc};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use switchyard_analyze::Analyzer;
use switchyard_domain::{Channel, NewPost};
use switchyard_pipeline::route::RuleSet;
use switchyard_pipeline::{HookFuture, LivePost, Pipeline, PostHook};
use switchyard_store::{CursorUpdate, Store};

const RULES: &str = r#"
[[rules]]
name = "delays"
when = { query = "delayed OR late OR cancelled" }
then = { queue = "support", priority = "high", tags = ["delay"] }

[[rules]]
name = "big-accounts"
when = { followers_at_least = 100000 }
then = { queue = "pr", tags = ["high-reach"] }
"#;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

async fn pipeline(dir: &Path) -> Pipeline {
    let store = Store::open(dir.to_str().unwrap()).await.unwrap();
    let rules = RuleSet::from_toml_str(RULES, "test rules").unwrap();
    Pipeline::new(Arc::new(Analyzer::new()), rules, store)
}

fn post(id: &str, text: &str) -> NewPost {
    NewPost::new(
        Channel::Mastodon,
        id,
        "amy@acme.social",
        text,
        Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap(),
    )
}

#[tokio::test]
async fn import_reports_counts_and_reimport_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    let mut progress_calls = Vec::new();
    let report = pipeline
        .import_file(fixture("airline_sample.csv"), None, |p| {
            progress_calls.push(p)
        })
        .await
        .unwrap();
    assert_eq!(report.format.to_string(), "csv");
    assert_eq!(report.read, 7);
    assert_eq!(report.new, 4);
    assert_eq!(report.duplicate, 0);
    let lines: Vec<u64> = report.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![6, 7, 8]);
    let last = progress_calls.last().unwrap();
    assert_eq!((last.read, last.new, last.rejected), (7, 4, 3));

    let again = pipeline
        .import_file(fixture("airline_sample.csv"), None, |_| {})
        .await
        .unwrap();
    assert_eq!((again.new, again.duplicate), (0, 4));

    let stats = pipeline.store().stats().await.unwrap();
    assert_eq!(stats.posts, 4);
    assert_eq!(stats.by_queue.get("support"), Some(&2), "{stats:?}");

    // Imported posts are searchable right away.
    let query = switchyard_query::parse("denver").unwrap();
    let (total, _) = pipeline.store().search(&query.expr, 10, 0).await.unwrap();
    assert_eq!(total, 1);
}

#[tokio::test]
async fn every_format_imports_into_one_store() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    let mut total_new = 0;
    for (name, new) in [
        ("canonical.jsonl", 3),
        ("x_api_v2_search.json", 3),
        ("x_api_v2_single.json", 1),
        ("x_api_v2_pages.jsonl", 2),
        ("mastodon_statuses.json", 2),
        ("mastodon_status.json", 1),
        ("twcs_sample.csv", 3),
        ("complaints_sample.csv", 2),
        ("cfpb_sample.csv", 2),
    ] {
        let report = pipeline
            .import_file(fixture(name), None, |_| {})
            .await
            .unwrap();
        assert_eq!(report.new, new, "{name}: {report:?}");
        total_new += new;
    }
    let stats = pipeline.store().stats().await.unwrap();
    assert_eq!(stats.posts, total_new);
    // The big X account is routed to PR.
    let query = switchyard_query::parse("author:bigtraveler").unwrap();
    let (_, ids) = pipeline.store().search(&query.expr, 10, 0).await.unwrap();
    assert_eq!(ids.len(), 2);
    for id in ids {
        let stored = pipeline.store().get_post(id).await.unwrap().unwrap();
        assert_eq!(stored.route.queue, "pr", "{stored:?}");
    }
}

#[tokio::test]
async fn unknown_format_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    let error = pipeline
        .import_file(fixture("custom_mapping.toml"), None, |_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("custom_mapping.toml"), "{error}");
    assert!(
        error.contains("jsonl") && error.contains("mastodon"),
        "{error}"
    );
}

struct RecordingHook(Mutex<Vec<(i64, String, String)>>);

impl PostHook for RecordingHook {
    fn name(&self) -> &str {
        "recording"
    }

    fn on_stored<'a>(&'a self, posts: &'a [LivePost]) -> HookFuture<'a> {
        Box::pin(async move {
            let mut seen = self.0.lock().unwrap();
            for post in posts {
                seen.push((
                    post.post.id,
                    post.post.post.external_id.clone(),
                    post.route.queue.clone(),
                ));
            }
            Ok(())
        })
    }
}

struct FailingHook;

impl PostHook for FailingHook {
    fn name(&self) -> &str {
        "failing"
    }

    fn on_stored<'a>(&'a self, _posts: &'a [LivePost]) -> HookFuture<'a> {
        Box::pin(async { Err("case table is locked".to_string()) })
    }
}

#[tokio::test]
async fn ingest_broadcasts_calls_hooks_and_skips_own_replies() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    let hook = Arc::new(RecordingHook(Mutex::new(Vec::new())));
    pipeline.add_hook(Arc::new(FailingHook));
    pipeline.add_hook(hook.clone());
    pipeline.set_own_replies(Arc::new(|channel: Channel, id: &str| {
        channel == Channel::Mastodon && id == "our-reply"
    }));
    let mut live = pipeline.subscribe();

    let posts = vec![
        post("1", "my flight was delayed four hours"),
        post("our-reply", "Sorry to hear that! Please DM us."),
        post("2", "lovely crew"),
        post("1", "my flight was delayed four hours"),
    ];
    let cursor = CursorUpdate {
        source: "mastodon:test".into(),
        cursor: "113".into(),
    };
    let outcome = pipeline.ingest(posts, Some(cursor)).await.unwrap();
    assert_eq!(outcome.own_replies, 1);
    let inserted: Vec<usize> = outcome.inserted.iter().map(|(i, _)| *i).collect();
    assert_eq!(inserted, vec![0, 2]);
    assert_eq!(outcome.duplicates, vec![3]);
    assert_eq!(
        pipeline
            .store()
            .get_cursor("mastodon:test")
            .await
            .unwrap()
            .as_deref(),
        Some("113")
    );

    let first = live.recv().await.unwrap();
    assert_eq!(first.post.post.external_id, "1");
    assert_eq!(first.route.queue, "support");
    assert_eq!(first.post.id, outcome.inserted[0].1);
    let second = live.recv().await.unwrap();
    assert_eq!(second.route.queue, "unrouted");
    assert!(
        live.try_recv().is_err(),
        "own reply and duplicate are not broadcast"
    );

    let seen = hook.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "the failing hook does not stop the next one");
    assert_eq!(seen[0].1, "1");
    assert_eq!(seen[0].2, "support");

    // Already stored: nothing new is broadcast or hooked.
    let again = pipeline
        .ingest(vec![post("2", "lovely crew")], None)
        .await
        .unwrap();
    assert_eq!(again.duplicates, vec![0]);
    assert!(live.try_recv().is_err());
    assert_eq!(hook.0.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn backtest_uses_stored_posts_and_their_time() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    let mut old = post("old", "late again");
    old.created_at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let posts = vec![
        old,
        post("a", "flight cancelled, no rebooking"),
        post("b", "nice lounge"),
    ];
    pipeline.ingest(posts, None).await.unwrap();

    let since = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let report = pipeline.backtest(since).await.unwrap();
    assert_eq!(report.posts, 2);
    assert_eq!(report.rules[0].rule, "delays");
    assert_eq!(report.rules[0].matched, 1);
    assert_eq!(report.unrouted, 1);

    let everything = pipeline.backtest(None).await.unwrap();
    assert_eq!(everything.posts, 3);
    assert_eq!(everything.rules[0].matched, 2);
}

#[tokio::test]
async fn shared_airline_train_imports_all_rows_once() {
    let Some(data) = switchyard_domain::testdata::shared_data_or_skip(
        "shared_airline_train_imports_all_rows_once",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    let path = data.join("airline/train.csv");
    let report = pipeline.import_file(&path, None, |_| {}).await.unwrap();
    assert!(
        report.rejected.is_empty(),
        "{:?}",
        &report.rejected[..3.min(report.rejected.len())]
    );
    assert_eq!(report.new, 11_588);
    assert_eq!(pipeline.store().stats().await.unwrap().posts, 11_588);
    let again = pipeline.import_file(&path, None, |_| {}).await.unwrap();
    assert_eq!((again.new, again.duplicate), (0, 11_588));
}

/// A file big enough for a bulk load (≥ 20,000 posts at 256 bytes a post) that holds few, long
/// posts: the import says it was a bulk load, the three deferred indexes are back at its end,
/// and every post is stored and searchable.
#[tokio::test]
async fn a_big_file_is_a_bulk_load_that_ends_with_every_index() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    let sample = std::fs::read_to_string(fixture("airline_sample.csv")).unwrap();
    let header = sample.lines().next().unwrap();
    let padding = "the flight was delayed again and the gate agent said nothing ".repeat(40);
    let mut csv = format!("{header}\n");
    let posts = 2_100;
    for i in 0..posts {
        csv.push_str(&format!(
            "{},negative,1.0,Late Flight,0.7,Acme Air,,flyer_{},,0,\"@AcmeAir post {i}: {padding}\",,2015-02-24 11:35:52 -0800,,\n",
            800_000_000_000_000_000u64 + i,
            i % 97
        ));
    }
    assert!(csv.len() as u64 >= switchyard_store::BULK_LOAD_MIN_POSTS * 256);
    let path = dir.path().join("big.csv");
    std::fs::write(&path, csv).unwrap();

    let report = pipeline.import_file(&path, None, |_| {}).await.unwrap();
    assert!(
        report.bulk_load,
        "a 5 MB file into an empty store is a bulk load"
    );
    assert_eq!((report.new, report.rejected.len()), (posts, 0));

    let switchyard_store::Db::Sqlite(pool) = pipeline.store().db() else {
        panic!("a SQLite store");
    };
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'posts'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for name in ["posts_created_at", "posts_author", "posts_queue"] {
        assert!(
            indexes.iter().any(|n| n == name),
            "{name} after the load: {indexes:?}"
        );
    }
    let query = switchyard_query::parse("\"gate agent\" author:flyer_5").unwrap();
    let (total, _) = pipeline.store().search(&query.expr, 10, 0).await.unwrap();
    assert_eq!(total, 22, "posts 5, 102, 199… are by flyer_5");

    // Importing the same file again adds nothing (the 2,100 stored posts are still fewer than
    // the file's estimate, so it is a bulk load again, and the indexes come back again).
    let again = pipeline.import_file(&path, None, |_| {}).await.unwrap();
    assert_eq!((again.new, again.duplicate), (0, posts));
    assert!(again.bulk_load);
}
