//! Small helpers that let one piece of code run on both backends: a macro that expands a block
//! once per pool type, write transactions, bind lists, time conversion and text sanitizing.

use crate::error::{Result, StoreError};
use chrono::{DateTime, Utc};
use std::borrow::Cow;

/// Runs `$body` with `$pool` bound to the SQLite or the PostgreSQL pool. The body is compiled
/// once per backend, so the same SQL text and the same binds serve both.
macro_rules! with_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Runs `$body` inside one write transaction of the store `$inner` (`BEGIN IMMEDIATE` on SQLite's
/// writer connection, so concurrent writers queue on the busy timeout) and commits it. An early
/// return with `?` rolls back.
macro_rules! with_write_tx {
    ($inner:expr, |$tx:ident| $body:expr) => {
        match &$inner.db {
            $crate::store::Db::Sqlite(pool) => {
                let pool = $inner.sqlite_writer.as_ref().unwrap_or(pool);
                #[allow(unused_mut)]
                let mut $tx = $crate::error::DbContext::during(
                    pool.begin_with("BEGIN IMMEDIATE").await,
                    "starting a write transaction",
                )?;
                let value = $body;
                $crate::error::DbContext::during($tx.commit().await, "committing a transaction")?;
                value
            }
            $crate::store::Db::Postgres(pool) => {
                #[allow(unused_mut)]
                let mut $tx = $crate::error::DbContext::during(
                    pool.begin().await,
                    "starting a write transaction",
                )?;
                let value = $body;
                $crate::error::DbContext::during($tx.commit().await, "committing a transaction")?;
                value
            }
        }
    };
}
pub(crate) use with_write_tx;

/// A value to bind in dynamically built SQL.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    Int(i64),
    Text(String),
}

/// Binds every value of `$binds` onto `$query`, in order.
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for bind in $binds {
            query = match bind {
                $crate::sql::Bind::Int(value) => query.bind(*value),
                $crate::sql::Bind::Text(value) => query.bind(value.as_str()),
            };
        }
        query
    }};
}
pub(crate) use bind_all;

/// Collects `WHERE` conditions with the backend's placeholders. Conditions are joined in the
/// order they were added, which is also the bind order.
#[derive(Debug)]
pub(crate) struct Conditions {
    backend: crate::store::Backend,
    pub(crate) clauses: Vec<String>,
    pub(crate) binds: Vec<Bind>,
}

impl Conditions {
    pub(crate) fn new(backend: crate::store::Backend) -> Self {
        Conditions {
            backend,
            clauses: Vec::new(),
            binds: Vec::new(),
        }
    }

    /// Adds a bind value and returns its placeholder.
    pub(crate) fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        self.backend.placeholder(self.binds.len())
    }

    /// Adds a condition, where `{}` stands for a new placeholder bound to `value`.
    pub(crate) fn push(&mut self, template: &str, value: Bind) {
        let placeholder = self.bind(value);
        self.clauses.push(template.replace("{}", &placeholder));
    }

    /// `WHERE a AND b …`, or nothing.
    pub(crate) fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// The highest id among the stored posts (0 for an empty table).
pub(crate) const HIGHEST_POST_ID: &str = "SELECT COALESCE(MAX(id), 0) FROM posts";

/// Microseconds since the Unix epoch, the store's time format in both backends.
pub(crate) fn to_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The inverse of [`to_micros`].
pub(crate) fn from_micros(micros: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {micros} µs is out of range")))
}

/// A count as stored (SQL integers are signed): large values saturate instead of failing.
pub(crate) fn count_to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A stored count back to `u64` (negative values, which only hand edits produce, become 0).
pub(crate) fn count_from_i64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// PostgreSQL refuses NUL characters in text; both backends store U+FFFD instead, so the two
/// behave alike.
pub(crate) fn clean_text(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Serializes a value to JSON text that both backends accept (no `\u0000` escapes).
pub(crate) fn json_text<T: serde::Serialize>(value: &T) -> Result<String> {
    let text = serde_json::to_string(value).map_err(|error| {
        StoreError::Invalid(format!("value cannot be written as JSON: {error}"))
    })?;
    Ok(without_nul_escapes(text))
}

/// JSON text with every `\u0000` escape replaced by `\ufffd` (PostgreSQL cannot hold NUL in
/// text or JSON; replacing it on both backends keeps their data the same).
pub(crate) fn without_nul_escapes(text: String) -> String {
    if text.contains("\\u0000") {
        return text.replace("\\u0000", "\\ufffd");
    }
    text
}

/// `($1,$2,…),($n,…)` for `rows` rows of `columns` values; columns listed in `json_columns` get
/// the backend's JSON placeholder.
pub(crate) fn values_sql(
    backend: crate::store::Backend,
    rows: usize,
    columns: usize,
    json_columns: &[usize],
) -> String {
    let mut sql = String::with_capacity(rows * columns * 6);
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for column in 0..columns {
            n += 1;
            if column > 0 {
                sql.push(',');
            }
            if json_columns.contains(&column) {
                sql.push_str(&backend.json_placeholder(n));
            } else {
                sql.push_str(&backend.placeholder(n));
            }
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Backend;

    #[test]
    fn values_sql_numbers_placeholders_and_casts_json_on_postgres() {
        assert_eq!(values_sql(Backend::Sqlite, 2, 2, &[1]), "(?,?),(?,?)");
        assert_eq!(
            values_sql(Backend::Postgres, 1, 3, &[2]),
            "($1,$2,$3::jsonb)"
        );
    }

    #[test]
    fn nul_characters_are_replaced() {
        assert_eq!(clean_text("a\0b"), "a\u{FFFD}b");
        assert!(matches!(clean_text("ab"), Cow::Borrowed(_)));
        let json = json_text(&serde_json::json!({"k": "x\u{0}y"})).unwrap();
        assert!(!json.contains("\\u0000"));
    }

    #[test]
    fn times_round_trip_in_microseconds() {
        let at = DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap();
        assert_eq!(from_micros(to_micros(at)).unwrap(), at);
    }
}
