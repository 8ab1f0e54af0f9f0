//! Opening a store: where the data lives (a data directory, a SQLite file or a PostgreSQL URL),
//! connection settings, schema migrations, and the search index that sits beside the database.

use crate::error::{DbContext, Result, StoreError};
use crate::search::{IndexLocation, SearchIndex};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Executor, PgPool, SqlitePool};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The SQLite schema, embedded at compile time (files 0001-0099: store; 0100+: CRM).
pub static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
/// The PostgreSQL schema, embedded at compile time (files 0001-0099: store; 0100+: CRM).
pub static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// The file name of the SQLite database inside a data directory.
pub const SQLITE_FILE_NAME: &str = "switchyard.db";
/// The folder of the search index inside a data directory.
pub const INDEX_DIR_NAME: &str = "index";

/// The database behind a [`Store`]. Public so that other crates (the CRM) can run their own
/// queries on the same pool. On SQLite, start write transactions with
/// `pool.begin_with("BEGIN IMMEDIATE")` so concurrent writers queue on the busy timeout instead of
/// failing with `SQLITE_BUSY`.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Which SQL dialect to write (the few places where SQLite and PostgreSQL differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The placeholder of the `n`th bind value (1-based). SQLite gets plain positional `?`:
    /// `sqlite3_bind_parameter_name` walks a list per call, which makes thousands of named
    /// `$n` parameters quadratic (it was 73% of a 10,000-post import before this). Placeholders
    /// must therefore appear in the SQL text in bind order, each once.
    pub(crate) fn placeholder(self, n: usize) -> String {
        match self {
            Backend::Sqlite => "?".to_string(),
            Backend::Postgres => format!("${n}"),
        }
    }

    /// A placeholder for a JSON value bound as text (see [`Backend::placeholder`]).
    pub(crate) fn json_placeholder(self, n: usize) -> String {
        match self {
            Backend::Sqlite => "?".to_string(),
            Backend::Postgres => format!("${n}::jsonb"),
        }
    }
}

/// How to open a store. `OpenOptions::new(location)` is what [`Store::open`] uses.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    location: String,
    postgres_schema: Option<String>,
    index: IndexLocation,
    max_connections: Option<u32>,
    connect_timeout: Duration,
}

impl OpenOptions {
    /// `location`: a data directory, `sqlite://<file>`, `sqlite::memory:` or `postgres://…`.
    pub fn new(location: impl Into<String>) -> Self {
        OpenOptions {
            location: location.into(),
            postgres_schema: None,
            index: IndexLocation::Default,
            max_connections: None,
            connect_timeout: Duration::from_secs(15),
        }
    }

    /// PostgreSQL only: use (and create if missing) this schema for every table. Letters, digits
    /// and `_` only.
    pub fn postgres_schema(mut self, schema: impl Into<String>) -> Self {
        self.postgres_schema = Some(schema.into());
        self
    }

    /// Where the search index lives. The default is `<data dir>/index` for a data directory or a
    /// SQLite file, and RAM (rebuilt from the database on open) for PostgreSQL and `:memory:`.
    pub fn index(mut self, index: IndexLocation) -> Self {
        self.index = index;
        self
    }

    /// How long to keep trying to reach the database before giving up (default 15 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The most database connections to hold open (default: 4 for SQLite, plus the one writer
    /// connection of a SQLite file; 10 for PostgreSQL). Writers wait for the writer connection
    /// up to the connect timeout.
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = Some(max.max(1));
        self
    }
}

/// Where a location string points.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    SqliteFile(PathBuf),
    SqliteMemory,
    Postgres(String),
}

fn parse_location(location: &str) -> Result<Target> {
    let trimmed = location.trim();
    let bad = |reason: &str| StoreError::BadLocation {
        location: location.to_string(),
        reason: reason.to_string(),
    };
    if trimmed.is_empty() {
        return Err(bad("the location is empty"));
    }
    if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
        return Ok(Target::Postgres(trimmed.to_string()));
    }
    if matches!(
        trimmed,
        "sqlite::memory:" | "sqlite://:memory:" | "sqlite:memory" | ":memory:"
    ) {
        return Ok(Target::SqliteMemory);
    }
    if let Some(rest) = trimmed
        .strip_prefix("sqlite://")
        .or_else(|| trimmed.strip_prefix("sqlite:"))
    {
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(bad("no file path after sqlite://"));
        }
        return Ok(Target::SqliteFile(PathBuf::from(path)));
    }
    if trimmed.contains("://") {
        return Err(bad("unknown URL scheme"));
    }
    let path = PathBuf::from(trimmed);
    if path.is_file() {
        return Ok(Target::SqliteFile(path));
    }
    Ok(Target::SqliteFile(path.join(SQLITE_FILE_NAME)))
}

fn ensure_dir(path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(path).map_err(|source| StoreError::DataDir {
        path: path.to_path_buf(),
        source,
    })
}

fn valid_schema_name(schema: &str) -> bool {
    !schema.is_empty()
        && schema.len() <= 63
        && schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !schema.starts_with(|c: char| c.is_ascii_digit())
}

/// The Switchyard store: posts, analysis, routing, cursors and corrections in SQLite or
/// PostgreSQL, plus the tantivy search index. Cheap to clone (shared handles).
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<StoreInner>,
}

pub(crate) struct StoreInner {
    pub(crate) db: Db,
    /// SQLite file stores: one connection that every write transaction of this store uses
    /// ([`crate::sql::with_write_tx`]). SQLite runs one writer at a time anyway, and a writer
    /// that changes connections finds its page cache invalidated by the previous writer's
    /// commit and reads the hot index pages again (an import spread its batches over all four
    /// pooled connections: 5 % of its CPU). `None`: writes use `db` (PostgreSQL, and the one
    /// connection of an in-memory SQLite database).
    pub(crate) sqlite_writer: Option<sqlx::SqlitePool>,
    pub(crate) search: SearchIndex,
    /// Held from an ingest's transaction until its posts are in the index writer, and by index
    /// catch-up, so a post is never added to the index twice.
    pub(crate) index_order: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.db.backend_name())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the store at `location`: a data directory (the database goes to
    /// `<dir>/switchyard.db`, the index to `<dir>/index`), `sqlite://<file>`, `sqlite::memory:` or
    /// `postgres://…`. Brings the schema up to date (re-creating indexes an interrupted bulk load
    /// left out) and catches the search index up with the database.
    pub async fn open(location: &str) -> Result<Store> {
        Store::open_with(OpenOptions::new(location)).await
    }

    /// Like [`Store::open`], with explicit options.
    pub async fn open_with(options: OpenOptions) -> Result<Store> {
        let target = parse_location(&options.location)?;
        let (db, sqlite_writer, default_index) = match &target {
            Target::SqliteFile(path) => {
                if let Some(parent) = path.parent() {
                    ensure_dir(parent)?;
                }
                let connect = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true);
                let pool = open_sqlite(
                    connect.clone(),
                    options.max_connections.unwrap_or(4),
                    &options,
                )
                .await?;
                let writer = open_sqlite(connect, 1, &options).await?;
                let index_dir = path
                    .parent()
                    .map(|parent| parent.join(INDEX_DIR_NAME))
                    .unwrap_or_else(|| PathBuf::from(INDEX_DIR_NAME));
                (
                    Db::Sqlite(pool),
                    Some(writer),
                    IndexLocation::Dir(index_dir),
                )
            }
            Target::SqliteMemory => {
                let connect = SqliteConnectOptions::new().in_memory(true);
                // Every connection to :memory: is a separate database, so hold exactly one.
                let pool = open_sqlite(connect, 1, &options).await?;
                (Db::Sqlite(pool), None, IndexLocation::Ram)
            }
            Target::Postgres(url) => {
                let pool = open_postgres(url, &options).await?;
                (Db::Postgres(pool), None, IndexLocation::Ram)
            }
        };
        match &db {
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        let index_location = match options.index {
            IndexLocation::Default => default_index,
            other => other,
        };
        let search = SearchIndex::open(&index_location)?;
        let store = Store {
            inner: Arc::new(StoreInner {
                db,
                sqlite_writer,
                search,
                index_order: tokio::sync::Mutex::new(()),
            }),
        };
        store.finish_bulk_load().await?;
        store.catch_up_index().await?;
        Ok(store)
    }

    /// The database, for crates that keep their own tables in the same database (the CRM).
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The search index beside the database.
    pub fn search_index(&self) -> &SearchIndex {
        &self.inner.search
    }

    /// Closes every database connection (waits for running queries) and commits the search
    /// index. Dropping a store without closing it loses nothing that was committed.
    pub async fn close(&self) -> Result<()> {
        self.commit_index().await?;
        if let Some(writer) = &self.inner.sqlite_writer {
            writer.close().await;
        }
        match &self.inner.db {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
        Ok(())
    }
}

async fn open_sqlite(
    connect: SqliteConnectOptions,
    max_connections: u32,
    options: &OpenOptions,
) -> Result<SqlitePool> {
    let connect = connect
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // 16 KiB pages (set when the database file is created; an existing file keeps its own).
        // A post's row is ≈ 1.4 KB: larger pages mean fewer pages, WAL frames and system calls
        // for the same rows, and scans read fewer pages. Measured against 8 KiB on 100,000
        // posts (docs/performance.md, Import, session 9): a bulk import −5 % CPU, 20,000 more
        // posts in 10,000-post batches −4.5 %, 100-post batches +1 %, 10-post batches +9 % (each
        // small commit rewrites whole pages; still ≈ 15,000 posts a second).
        .pragma("page_size", "16384")
        .pragma("cache_size", "-32768")
        // Checkpoint every 4,000 pages (64 MB of WAL) instead of SQLite's 1,000: a checkpoint
        // copies every page changed since the last one into the database file, and during an
        // import the same hot pages (the table's right edge, the indexes' inner pages) change
        // in every batch, so fewer checkpoints write them fewer times.
        .pragma("wal_autocheckpoint", "4000")
        .pragma("temp_store", "memory")
        .log_statements(tracing::log::LevelFilter::Trace);
    SqlitePoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(options.connect_timeout)
        .connect_with(connect)
        .await
        .map_err(|source| StoreError::Connect {
            location: options.location.clone(),
            source,
        })
}

async fn open_postgres(url: &str, options: &OpenOptions) -> Result<PgPool> {
    let connect_error = |source| StoreError::Connect {
        location: redact_password(url),
        source,
    };
    let mut connect = PgConnectOptions::from_str(url).map_err(connect_error)?;
    if let Some(schema) = &options.postgres_schema {
        if !valid_schema_name(schema) {
            return Err(StoreError::Invalid(format!(
                "PostgreSQL schema name {schema:?} must be 1-63 letters, digits or '_' and not start with a digit"
            )));
        }
        let mut conn = connect.connect().await.map_err(connect_error)?;
        conn.execute(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
        )))
        .await
        .during("creating the PostgreSQL schema")?;
        conn.close().await.ok();
        connect = connect.options([("search_path", schema.as_str())]);
    }
    PgPoolOptions::new()
        .max_connections(options.max_connections.unwrap_or(10))
        .acquire_timeout(options.connect_timeout)
        .connect_with(connect)
        .await
        .map_err(connect_error)
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for error messages.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_understood() {
        assert_eq!(
            parse_location("postgres://u@h/db").unwrap(),
            Target::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            parse_location("sqlite::memory:").unwrap(),
            Target::SqliteMemory
        );
        assert_eq!(
            parse_location("sqlite:///tmp/x.db").unwrap(),
            Target::SqliteFile(PathBuf::from("/tmp/x.db"))
        );
        assert_eq!(
            parse_location("sqlite://data/x.db?mode=rwc").unwrap(),
            Target::SqliteFile(PathBuf::from("data/x.db"))
        );
        assert_eq!(
            parse_location("./switchyard-data").unwrap(),
            Target::SqliteFile(PathBuf::from("./switchyard-data/switchyard.db"))
        );
        assert!(matches!(
            parse_location("mysql://h/db"),
            Err(StoreError::BadLocation { .. })
        ));
        assert!(matches!(
            parse_location("  "),
            Err(StoreError::BadLocation { .. })
        ));
    }

    #[test]
    fn passwords_are_redacted_and_schema_names_checked() {
        assert_eq!(
            redact_password("postgres://me:secret@h:5432/db"),
            "postgres://me:***@h:5432/db"
        );
        assert_eq!(redact_password("postgres://me@h/db"), "postgres://me@h/db");
        assert!(valid_schema_name("t_abc123"));
        assert!(!valid_schema_name("x\"; DROP"));
        assert!(!valid_schema_name("1abc"));
    }
}
