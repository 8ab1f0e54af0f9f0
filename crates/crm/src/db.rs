//! Portable database access for the CRM: one small API over SQLite and PostgreSQL pools.
//!
//! Every CRM query is written once in portable SQL (`$1` placeholders, `BIGINT` integers, `TEXT`
//! JSON, epoch-millisecond timestamps) and run through [`DbPool`] or [`Tx`], which dispatch to the
//! backend. Values cross the boundary as [`Val`] and rows come back as [`DbRow`].

use crate::error::CrmError;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::sqlite::{SqlitePool, SqliteRow};

/// A connection pool to the database the CRM tables live in (the store's pool).
#[derive(Debug, Clone)]
pub enum DbPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl From<&switchyard_store::Db> for DbPool {
    /// The CRM on the store's own pool: `DbPool::from(store.db())`. The store applies the CRM's
    /// migrations (0100+) when it opens.
    fn from(db: &switchyard_store::Db) -> Self {
        match db {
            switchyard_store::Db::Sqlite(pool) => DbPool::Sqlite(pool.clone()),
            switchyard_store::Db::Postgres(pool) => DbPool::Postgres(pool.clone()),
        }
    }
}

/// A value bound to a query parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Int(Option<i64>),
    Text(Option<String>),
    Float(Option<f64>),
}

impl From<i64> for Val {
    fn from(value: i64) -> Self {
        Val::Int(Some(value))
    }
}
impl From<Option<i64>> for Val {
    fn from(value: Option<i64>) -> Self {
        Val::Int(value)
    }
}
impl From<bool> for Val {
    fn from(value: bool) -> Self {
        Val::Int(Some(i64::from(value)))
    }
}
impl From<Option<bool>> for Val {
    fn from(value: Option<bool>) -> Self {
        Val::Int(value.map(i64::from))
    }
}
impl From<&str> for Val {
    fn from(value: &str) -> Self {
        Val::Text(Some(value.to_string()))
    }
}
impl From<String> for Val {
    fn from(value: String) -> Self {
        Val::Text(Some(value))
    }
}
impl From<&String> for Val {
    fn from(value: &String) -> Self {
        Val::Text(Some(value.clone()))
    }
}
impl From<Option<String>> for Val {
    fn from(value: Option<String>) -> Self {
        Val::Text(value)
    }
}
impl From<Option<&str>> for Val {
    fn from(value: Option<&str>) -> Self {
        Val::Text(value.map(str::to_string))
    }
}
impl From<f64> for Val {
    fn from(value: f64) -> Self {
        Val::Float(Some(value))
    }
}
impl From<Option<f64>> for Val {
    fn from(value: Option<f64>) -> Self {
        Val::Float(value)
    }
}

/// Builds an array of [`Val`] from expressions convertible into it (`&vals![a, b]` is a `&[Val]`).
#[macro_export]
macro_rules! vals {
    () => { [] as [$crate::db::Val; 0] };
    ($($value:expr),+ $(,)?) => { [$($crate::db::Val::from($value)),+] };
}

/// One result row from either backend.
pub enum DbRow {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

fn column_error(column: &str, error: sqlx::Error) -> CrmError {
    CrmError::Database(format!(
        "could not read column {column:?}: {error}; the CRM migrations may not have run (open the store to apply them)"
    ))
}

impl DbRow {
    pub fn int(&self, column: &str) -> Result<i64, CrmError> {
        match self {
            DbRow::Sqlite(row) => row.try_get::<i64, _>(column),
            DbRow::Postgres(row) => row.try_get::<i64, _>(column),
        }
        .map_err(|error| column_error(column, error))
    }
    pub fn opt_int(&self, column: &str) -> Result<Option<i64>, CrmError> {
        match self {
            DbRow::Sqlite(row) => row.try_get::<Option<i64>, _>(column),
            DbRow::Postgres(row) => row.try_get::<Option<i64>, _>(column),
        }
        .map_err(|error| column_error(column, error))
    }
    pub fn text(&self, column: &str) -> Result<String, CrmError> {
        match self {
            DbRow::Sqlite(row) => row.try_get::<String, _>(column),
            DbRow::Postgres(row) => row.try_get::<String, _>(column),
        }
        .map_err(|error| column_error(column, error))
    }
    pub fn opt_text(&self, column: &str) -> Result<Option<String>, CrmError> {
        match self {
            DbRow::Sqlite(row) => row.try_get::<Option<String>, _>(column),
            DbRow::Postgres(row) => row.try_get::<Option<String>, _>(column),
        }
        .map_err(|error| column_error(column, error))
    }
    pub fn opt_float(&self, column: &str) -> Result<Option<f64>, CrmError> {
        match self {
            DbRow::Sqlite(row) => row.try_get::<Option<f64>, _>(column),
            DbRow::Postgres(row) => row.try_get::<Option<f64>, _>(column),
        }
        .map_err(|error| column_error(column, error))
    }
    pub fn flag(&self, column: &str) -> Result<bool, CrmError> {
        Ok(self.int(column)? != 0)
    }
    /// A TEXT column holding JSON, parsed.
    pub fn json<T: serde::de::DeserializeOwned>(&self, column: &str) -> Result<T, CrmError> {
        let text = self.text(column)?;
        serde_json::from_str(&text).map_err(|error| {
            CrmError::Database(format!(
                "column {column:?} holds JSON that does not parse ({error}); the row was written by an incompatible version"
            ))
        })
    }
}

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Val::Int(value) => query.bind(*value),
                Val::Text(value) => query.bind(value.clone()),
                Val::Float(value) => query.bind(*value),
            };
        }
        query
    }};
}

fn sql_of(sql: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql.to_string())
}

fn db_error(sql: &str, error: sqlx::Error) -> CrmError {
    let first_line = sql.trim().lines().next().unwrap_or("").trim();
    CrmError::Database(format!(
        "database statement failed ({error}) in `{first_line}`; check that the database is reachable and migrated"
    ))
}

impl DbPool {
    /// Connects to `sqlite://PATH` (created if missing, WAL) or `postgres://…`. The store normally
    /// owns the pool; this serves tools and tests that run the CRM without one.
    pub async fn connect(url: &str) -> Result<DbPool, CrmError> {
        use std::str::FromStr;
        let failed = |error: sqlx::Error| {
            CrmError::Database(format!(
                "could not open the database {url:?}: {error}; check the URL and that the server is running"
            ))
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .connect(url)
                .await
                .map_err(failed)?;
            return Ok(DbPool::Postgres(pool));
        }
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
            .map_err(failed)?
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(failed)?;
        Ok(DbPool::Sqlite(pool))
    }

    /// Which SQL dialect this pool speaks (for the few statements that differ).
    pub fn is_postgres(&self) -> bool {
        matches!(self, DbPool::Postgres(_))
    }

    pub async fn execute(&self, sql: &str, args: &[Val]) -> Result<u64, CrmError> {
        match self {
            DbPool::Sqlite(pool) => bind_all!(sqlx::query(sql_of(sql)), args)
                .execute(pool)
                .await
                .map(|done| done.rows_affected()),
            DbPool::Postgres(pool) => bind_all!(sqlx::query(sql_of(sql)), args)
                .execute(pool)
                .await
                .map(|done| done.rows_affected()),
        }
        .map_err(|error| db_error(sql, error))
    }

    pub async fn fetch_all(&self, sql: &str, args: &[Val]) -> Result<Vec<DbRow>, CrmError> {
        match self {
            DbPool::Sqlite(pool) => bind_all!(sqlx::query(sql_of(sql)), args)
                .fetch_all(pool)
                .await
                .map(|rows| rows.into_iter().map(DbRow::Sqlite).collect()),
            DbPool::Postgres(pool) => bind_all!(sqlx::query(sql_of(sql)), args)
                .fetch_all(pool)
                .await
                .map(|rows| rows.into_iter().map(DbRow::Postgres).collect()),
        }
        .map_err(|error| db_error(sql, error))
    }

    pub async fn fetch_optional(&self, sql: &str, args: &[Val]) -> Result<Option<DbRow>, CrmError> {
        match self {
            DbPool::Sqlite(pool) => bind_all!(sqlx::query(sql_of(sql)), args)
                .fetch_optional(pool)
                .await
                .map(|row| row.map(DbRow::Sqlite)),
            DbPool::Postgres(pool) => bind_all!(sqlx::query(sql_of(sql)), args)
                .fetch_optional(pool)
                .await
                .map(|row| row.map(DbRow::Postgres)),
        }
        .map_err(|error| db_error(sql, error))
    }

    /// Starts a transaction; on SQLite it takes the write lock at once (`BEGIN IMMEDIATE`) so two
    /// writers wait for each other instead of failing with "database is locked" mid-transaction.
    pub async fn begin(&self) -> Result<Tx, CrmError> {
        match self {
            DbPool::Sqlite(pool) => pool.begin_with("BEGIN IMMEDIATE").await.map(Tx::Sqlite),
            DbPool::Postgres(pool) => pool.begin().await.map(Tx::Postgres),
        }
        .map_err(|error| db_error("BEGIN", error))
    }
}

/// An open transaction on either backend. Dropped without [`Tx::commit`], it rolls back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub async fn execute(&mut self, sql: &str, args: &[Val]) -> Result<u64, CrmError> {
        match self {
            Tx::Sqlite(tx) => bind_all!(sqlx::query(sql_of(sql)), args)
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected()),
            Tx::Postgres(tx) => bind_all!(sqlx::query(sql_of(sql)), args)
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected()),
        }
        .map_err(|error| db_error(sql, error))
    }

    pub async fn fetch_all(&mut self, sql: &str, args: &[Val]) -> Result<Vec<DbRow>, CrmError> {
        match self {
            Tx::Sqlite(tx) => bind_all!(sqlx::query(sql_of(sql)), args)
                .fetch_all(&mut **tx)
                .await
                .map(|rows| rows.into_iter().map(DbRow::Sqlite).collect()),
            Tx::Postgres(tx) => bind_all!(sqlx::query(sql_of(sql)), args)
                .fetch_all(&mut **tx)
                .await
                .map(|rows| rows.into_iter().map(DbRow::Postgres).collect()),
        }
        .map_err(|error| db_error(sql, error))
    }

    pub async fn fetch_optional(
        &mut self,
        sql: &str,
        args: &[Val],
    ) -> Result<Option<DbRow>, CrmError> {
        match self {
            Tx::Sqlite(tx) => bind_all!(sqlx::query(sql_of(sql)), args)
                .fetch_optional(&mut **tx)
                .await
                .map(|row| row.map(DbRow::Sqlite)),
            Tx::Postgres(tx) => bind_all!(sqlx::query(sql_of(sql)), args)
                .fetch_optional(&mut **tx)
                .await
                .map(|row| row.map(DbRow::Postgres)),
        }
        .map_err(|error| db_error(sql, error))
    }

    /// Runs an `INSERT … RETURNING id` and gives back the new id.
    pub async fn insert_returning_id(&mut self, sql: &str, args: &[Val]) -> Result<i64, CrmError> {
        let row = self.fetch_optional(sql, args).await?.ok_or_else(|| {
            CrmError::Database(format!("insert returned no id: `{}`", sql.trim()))
        })?;
        row.int("id")
    }

    pub async fn commit(self) -> Result<(), CrmError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
        .map_err(|error| db_error("COMMIT", error))
    }
}

/// Applies every migration in `migrations/{sqlite,postgres}` (the store's and the CRM's) from the
/// source tree. The store does this on open in production; tests and tools without a store use it.
pub async fn migrate_from_source_tree(db: &DbPool) -> Result<(), CrmError> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let folder = if db.is_postgres() {
        root.join("postgres")
    } else {
        root.join("sqlite")
    };
    let migrator = sqlx::migrate::Migrator::new(folder.clone())
        .await
        .map_err(|error| {
            CrmError::Database(format!(
                "could not read migrations from {}: {error}",
                folder.display()
            ))
        })?;
    match db {
        DbPool::Sqlite(pool) => migrator.run(pool).await,
        DbPool::Postgres(pool) => migrator.run(pool).await,
    }
    .map_err(|error| CrmError::Database(format!("migrations failed: {error}")))
}
