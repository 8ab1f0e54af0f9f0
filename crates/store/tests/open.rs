//! Opening stores: every accepted location form, clear errors for bad ones, SQLite settings, and
//! two stores on one data directory (the second reads the index, the first keeps writing it).

use chrono::{TimeZone, Utc};
use switchyard_domain::{Analysis, Channel, NewPost, RouteDecision, SentimentResult, VaderScores};
use switchyard_store::{Db, IngestItem, OpenOptions, Store, StoreError};

fn item(external_id: &str, text: &str) -> IngestItem {
    IngestItem {
        post: NewPost::new(
            Channel::X,
            external_id,
            "amy",
            text,
            Utc.with_ymd_and_hms(2026, 2, 1, 12, 0, 0).unwrap(),
        ),
        analysis: Analysis {
            language: "en".into(),
            language_confidence: 1.0,
            sentiment: SentimentResult::from_vader(VaderScores::default()),
            complaint: None,
            intent: None,
            reason: None,
            urgency: None,
            toxicity: None,
        },
        route: RouteDecision::default(),
    }
}

#[tokio::test]
async fn a_missing_data_directory_is_created_with_database_and_index() {
    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path().join("nested/switchyard-data");
    let store = Store::open(data_dir.to_str().unwrap()).await.unwrap();
    store.ingest(&[item("1", "hello")], None).await.unwrap();
    store.close().await.unwrap();
    assert!(data_dir.join("switchyard.db").is_file());
    assert!(data_dir.join("index").join("meta.json").is_file());
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys() {
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open(temp.path().to_str().unwrap()).await.unwrap();
    let Db::Sqlite(pool) = store.db() else {
        panic!("a directory opens SQLite");
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(foreign_keys, 1);
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(synchronous, 1, "NORMAL");
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(busy >= 1000);
}

#[tokio::test]
async fn sqlite_urls_and_memory_are_accepted() {
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("sub/custom.db");
    let url = format!("sqlite://{}", file.display());
    let store = Store::open(&url).await.unwrap();
    store
        .ingest(&[item("1", "from a url")], None)
        .await
        .unwrap();
    assert_eq!(store.stats().await.unwrap().posts, 1);
    store.close().await.unwrap();
    assert!(file.is_file());
    assert!(
        temp.path().join("sub/index").is_dir(),
        "the index sits beside the file"
    );
    // Opening the file path itself (not a directory) works too.
    let again = Store::open(file.to_str().unwrap()).await.unwrap();
    assert_eq!(again.stats().await.unwrap().posts, 1);

    let memory = Store::open("sqlite::memory:").await.unwrap();
    memory
        .ingest(&[item("1", "in memory")], None)
        .await
        .unwrap();
    assert_eq!(memory.stats().await.unwrap().posts, 1);
    let query = switchyard_query::parse("memory").unwrap().expr;
    assert_eq!(memory.search(&query, 10, 0).await.unwrap().0, 1);
}

#[tokio::test]
async fn bad_locations_say_what_to_use() {
    let error = Store::open("mysql://localhost/db").await.unwrap_err();
    assert!(matches!(error, StoreError::BadLocation { .. }));
    let message = error.to_string();
    assert!(
        message.contains("mysql://localhost/db") && message.contains("postgres://"),
        "{message}"
    );
    assert!(matches!(
        Store::open("").await.unwrap_err(),
        StoreError::BadLocation { .. }
    ));
    let unreachable = Store::open_with(
        OpenOptions::new("postgres://nobody:secret@127.0.0.1:1/none")
            .connect_timeout(std::time::Duration::from_secs(1)),
    )
    .await
    .unwrap_err();
    let message = unreachable.to_string();
    assert!(
        matches!(unreachable, StoreError::Connect { .. }),
        "{message}"
    );
    assert!(
        !message.contains("secret"),
        "passwords never appear in errors: {message}"
    );
}

#[tokio::test]
async fn a_second_store_on_one_directory_reads_the_index_the_first_writes() {
    let temp = tempfile::tempdir().unwrap();
    let location = temp.path().to_str().unwrap();
    let first = Store::open(location).await.unwrap();
    assert!(first.search_index().is_writable());
    let second = Store::open(location).await.unwrap();
    assert!(
        !second.search_index().is_writable(),
        "the index lock is held by the first store"
    );

    // The second store (e.g. `switchyard import` while `serve` runs) stores posts; the first
    // indexes them when it next searches.
    second
        .ingest(&[item("7", "imported elsewhere")], None)
        .await
        .unwrap();
    let query = switchyard_query::parse("imported").unwrap().expr;
    assert_eq!(first.search(&query, 10, 0).await.unwrap().0, 1);
    first.close().await.unwrap();
    drop(first);
    second.close().await.unwrap();
}
