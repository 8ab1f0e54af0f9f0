//! The store's error type: what went wrong with the database, the search index or the input, and
//! what to do about it.

use std::path::PathBuf;

/// Everything the store can fail with. Every message says what was wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The location given to [`crate::Store::open`] is not one the store understands.
    #[error(
        "cannot open a store at {location:?}: {reason}. Use a directory path (the SQLite file \
         goes to <dir>/switchyard.db), sqlite://<file>, sqlite::memory: or postgres://user@host/db"
    )]
    BadLocation { location: String, reason: String },

    /// The data directory could not be created or read.
    #[error(
        "cannot use data directory {path}: {source}. Check that the path exists or can be created and is writable"
    )]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Connecting to the database failed.
    #[error(
        "cannot connect to the database at {location}: {source}. Check the path or URL, that the server runs and that the user may log in"
    )]
    Connect {
        location: String,
        #[source]
        source: sqlx::Error,
    },

    /// Bringing the schema up to date failed.
    #[error(
        "cannot bring the database schema up to date: {0}. If the database was written by a newer Switchyard, upgrade this binary; if a migration file was edited after it ran, restore the original"
    )]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// A query failed.
    #[error("database error while {action}: {source}")]
    Database {
        action: &'static str,
        #[source]
        source: sqlx::Error,
    },

    /// A value read back from the database does not make sense (hand-edited or corrupted rows).
    #[error("stored data is not valid: {0}. The row was probably edited by hand; fix or delete it")]
    Corrupt(String),

    /// A caller passed something the store cannot accept.
    #[error("invalid input: {0}")]
    Invalid(String),

    /// The post asked for does not exist.
    #[error("post {0} does not exist; list posts to find a valid id")]
    PostNotFound(i64),

    /// The search index failed.
    #[error(
        "search index error while {action}: {message}. The index can always be rebuilt from the database: delete the index directory and reopen"
    )]
    Index {
        action: &'static str,
        message: String,
    },
}

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Attaches what the store was doing to a database error.
pub(crate) trait DbContext<T> {
    fn during(self, action: &'static str) -> Result<T>;
}

impl<T> DbContext<T> for std::result::Result<T, sqlx::Error> {
    fn during(self, action: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Database { action, source })
    }
}

impl StoreError {
    pub(crate) fn index(action: &'static str, error: impl std::fmt::Display) -> Self {
        StoreError::Index {
            action,
            message: error.to_string(),
        }
    }
}
