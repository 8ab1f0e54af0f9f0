//! Switchyard storage: posts, their analysis and routing, connector cursors and agents'
//! corrections in SQLite (default, WAL) or PostgreSQL through one [`Store`], plus the tantivy
//! search index beside the database.
//!
//! - [`Store::open`] takes a data directory, `sqlite://<file>` or `postgres://…`, runs the
//!   migrations in `migrations/{sqlite,postgres}` and catches the search index up.
//! - [`Store::ingest`] stores a batch and a connector cursor in one transaction, idempotently;
//!   [`Store::begin_bulk_load`] / [`Store::finish_bulk_load`] defer three indexes for big imports.
//! - Reads: [`Store::get_post`], [`Store::list_posts`], [`Store::stats`], [`Store::queue_counts`],
//!   [`Store::volume`], [`Store::posts_in_batches`]; search: [`Store::search`].
//! - Other crates (the CRM) run their own SQL on the same pool through [`Store::db`].
//!
//! Both backends pass the same test suite (`tests/store.rs`). Timestamps are stored as integer
//! microseconds since the Unix epoch (UTC) in both, so every query is portable.

mod bulk;
mod corrections;
mod error;
mod ingest;
mod model;
mod read;
pub mod search;
mod sql;
mod store;

pub use bulk::BULK_LOAD_MIN_POSTS;
pub use corrections::CORRECTABLE_TASKS;
pub use error::{Result, StoreError};
pub use model::{
    Bucket, Correction, CursorState, CursorUpdate, IngestItem, IngestOutcome, Page, PostFilter,
    QueueCount, Stats, StoredPost, VolumePoint,
};
pub use read::{MAX_VOLUME_BUCKETS, PostBatches};
pub use search::{IndexLocation, SearchHits, SearchIndex};
pub use store::{
    Db, INDEX_DIR_NAME, OpenOptions, POSTGRES_MIGRATIONS, SQLITE_FILE_NAME, SQLITE_MIGRATIONS,
    Store,
};
