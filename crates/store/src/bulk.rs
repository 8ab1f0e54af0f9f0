//! Bulk loads on SQLite: the `posts` indexes whose keys arrive in random order are dropped for a
//! large import and built once at its end, and rebuilt on the next open if an import stopped
//! half-way.
//!
//! Author, creation time and queue keys come in no particular order, so every batch of a big
//! import dirties most pages of those three indexes, and each commit writes them to the WAL and
//! the next checkpoint writes them again. Building the three indexes over 100,000 posts after the
//! load takes less time than keeping them up to date row by row (docs/performance.md, Import,
//! session 9). The other indexes (the unique `(channel, external_id)` that decides duplicates,
//! sentiment and intent, whose few values append at the end) stay.
//!
//! Nothing depends on the dropped indexes for correctness: queries that would use them scan
//! instead while a load runs, and [`Store::open`] re-creates any that are missing, so a crash or
//! an interrupted import leaves no store without them for longer than its next start.

use crate::error::{DbContext, Result};
use crate::sql::{HIGHEST_POST_ID, with_write_tx};
use crate::store::{Db, Store};

/// The deferrable indexes of `posts` and how migrations create them (test
/// `deferred_indexes_match_the_migrations` compares these with the migrated schema).
pub(crate) const DEFERRABLE_POST_INDEXES: [(&str, &str); 3] = [
    (
        "posts_created_at",
        "CREATE INDEX IF NOT EXISTS posts_created_at ON posts (created_at)",
    ),
    (
        "posts_author",
        "CREATE INDEX IF NOT EXISTS posts_author ON posts (author_handle)",
    ),
    (
        "posts_queue",
        "CREATE INDEX IF NOT EXISTS posts_queue ON posts (queue, priority, created_at)",
    ),
];

/// Imports expected to bring fewer posts than this keep every index (dropping and building
/// them would not pay for itself).
pub const BULK_LOAD_MIN_POSTS: u64 = 20_000;

impl Store {
    /// Prepares a bulk load of about `expected_posts` posts: on SQLite, when that is at least
    /// [`BULK_LOAD_MIN_POSTS`] and at least as many as are stored already, drops the
    /// [deferrable indexes](self) in one transaction and returns `true`. Call
    /// [`Store::finish_bulk_load`] when the load ends, however it ends. PostgreSQL keeps its
    /// indexes (returns `false`).
    pub async fn begin_bulk_load(&self, expected_posts: u64) -> Result<bool> {
        let Db::Sqlite(pool) = &self.inner.db else {
            return Ok(false);
        };
        if expected_posts < BULK_LOAD_MIN_POSTS {
            return Ok(false);
        }
        let stored: i64 = sqlx::query_scalar(HIGHEST_POST_ID)
            .fetch_one(pool)
            .await
            .during("counting stored posts")?;
        if u64::try_from(stored).unwrap_or(u64::MAX) > expected_posts {
            return Ok(false);
        }
        with_write_tx!(self.inner, |tx| {
            for (name, _) in DEFERRABLE_POST_INDEXES {
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX IF EXISTS {name}")))
                    .execute(&mut *tx)
                    .await
                    .during("dropping an index for a bulk load")?;
            }
        });
        tracing::info!(
            expected_posts,
            "bulk load: building the author, time and queue indexes at the end"
        );
        Ok(true)
    }

    /// Creates whichever [deferrable indexes](self) are missing, in one transaction (nothing to
    /// do when all exist, and nothing on PostgreSQL). Runs at the end of a bulk load and on every
    /// open.
    pub async fn finish_bulk_load(&self) -> Result<()> {
        let Db::Sqlite(pool) = &self.inner.db else {
            return Ok(());
        };
        let present: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'posts'",
        )
        .fetch_all(pool)
        .await
        .during("listing the indexes of posts")?;
        let missing: Vec<&str> = DEFERRABLE_POST_INDEXES
            .iter()
            .filter(|(name, _)| !present.iter().any(|p| p == name))
            .map(|(_, sql)| *sql)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        tracing::info!(
            indexes = missing.len(),
            "building the indexes of posts deferred by a bulk load"
        );
        with_write_tx!(self.inner, |tx| {
            for sql in &missing {
                sqlx::query(sqlx::AssertSqlSafe(*sql))
                    .execute(&mut *tx)
                    .await
                    .during("building an index deferred by a bulk load")?;
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn post_indexes(store: &Store) -> Vec<(String, String)> {
        let Db::Sqlite(pool) = store.db() else {
            panic!("a SQLite store");
        };
        sqlx::query_as(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'posts' \
             AND sql IS NOT NULL ORDER BY name",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    }

    fn has(indexes: &[(String, String)], name: &str) -> bool {
        indexes.iter().any(|(n, _)| n == name)
    }

    #[tokio::test]
    async fn deferred_indexes_match_the_migrations() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let indexes = post_indexes(&store).await;
        for (name, sql) in DEFERRABLE_POST_INDEXES {
            let migrated = indexes
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, sql)| sql.as_str());
            assert_eq!(
                migrated,
                Some(sql.replace("IF NOT EXISTS ", "").as_str()),
                "{name}: the migrations and DEFERRABLE_POST_INDEXES must agree"
            );
        }
    }

    #[tokio::test]
    async fn a_bulk_load_drops_the_indexes_and_its_end_or_the_next_open_builds_them() {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().to_str().unwrap().to_string();
        let store = Store::open(&location).await.unwrap();
        let all = post_indexes(&store).await;

        // Small imports keep every index.
        assert!(
            !store
                .begin_bulk_load(BULK_LOAD_MIN_POSTS - 1)
                .await
                .unwrap()
        );
        assert_eq!(post_indexes(&store).await, all);

        assert!(store.begin_bulk_load(BULK_LOAD_MIN_POSTS).await.unwrap());
        let during = post_indexes(&store).await;
        for (name, _) in DEFERRABLE_POST_INDEXES {
            assert!(!has(&during, name), "{name} is dropped during the load");
        }
        assert!(has(&during, "posts_sentiment") && has(&during, "posts_intent"));
        store.finish_bulk_load().await.unwrap();
        assert_eq!(post_indexes(&store).await, all);

        // A load that never finished (a crash, an interrupted import): the next open repairs it.
        assert!(store.begin_bulk_load(100_000).await.unwrap());
        store.close().await.unwrap();
        drop(store);
        let reopened = Store::open(&location).await.unwrap();
        assert_eq!(post_indexes(&reopened).await, all);
        reopened.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_store_holding_more_posts_than_the_import_keeps_its_indexes() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let Db::Sqlite(pool) = store.db() else {
            panic!("a SQLite store");
        };
        sqlx::query(
            "INSERT INTO posts (id, channel, external_id, author_handle, text, created_at, \
             ingested_at, visibility) VALUES (50000, 'x', '1', 'a', 't', 0, 0, 'public')",
        )
        .execute(pool)
        .await
        .unwrap();
        assert!(!store.begin_bulk_load(40_000).await.unwrap());
        assert!(store.begin_bulk_load(60_000).await.unwrap());
        store.finish_bulk_load().await.unwrap();
    }
}
