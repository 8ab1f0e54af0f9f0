//! Where connectors hand their posts: the [`PostSink`] trait the pipeline implements (posts and
//! cursor saved in one transaction), an in-memory sink for tests and demos, and the [`SentLedger`]
//! that keeps our own outgoing replies from being ingested back.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use switchyard_domain::{Channel, NewPost};

/// A connector's resume point, saved together with the posts it produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorUpdate {
    /// The cursor's key: `<connector name>` or `<connector name>:<sub-source>`.
    pub source: String,
    /// Opaque to the sink; the connector that wrote it reads it back with [`PostSink::load_cursor`].
    pub cursor: String,
}

impl CursorUpdate {
    pub fn new(source: impl Into<String>, cursor: impl Into<String>) -> Self {
        CursorUpdate {
            source: source.into(),
            cursor: cursor.into(),
        }
    }
}

/// What the sink did with a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SinkOutcome {
    /// Posts stored for the first time.
    pub inserted: u64,
    /// Posts whose `(channel, external_id)` was already stored.
    pub duplicates: u64,
    /// Posts skipped because we sent them ourselves (see [`SentLedger`]).
    pub skipped_own: u64,
}

/// Why the sink could not take a batch. Connectors treat every sink error as retryable: the batch
/// and its cursor were not saved, so they back off and offer the same batch again.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SinkError {
    #[error("the store is unavailable ({0}); the connector will retry the same batch")]
    Unavailable(String),
    #[error("the pipeline refused the batch: {0}")]
    Refused(String),
}

/// The pipeline's entry point for live connectors. An implementation must save `posts` and
/// `cursor` atomically (one transaction), ignore posts whose `(channel, external_id)` is already
/// stored, and return only after both are durable.
pub trait PostSink: Send + Sync + 'static {
    fn ingest(
        &self,
        posts: Vec<NewPost>,
        cursor: Option<CursorUpdate>,
    ) -> impl Future<Output = Result<SinkOutcome, SinkError>> + Send;

    fn load_cursor(
        &self,
        source: &str,
    ) -> impl Future<Output = Result<Option<String>, SinkError>> + Send;
}

impl<S: PostSink> PostSink for Arc<S> {
    fn ingest(
        &self,
        posts: Vec<NewPost>,
        cursor: Option<CursorUpdate>,
    ) -> impl Future<Output = Result<SinkOutcome, SinkError>> + Send {
        self.as_ref().ingest(posts, cursor)
    }

    fn load_cursor(
        &self,
        source: &str,
    ) -> impl Future<Output = Result<Option<String>, SinkError>> + Send {
        self.as_ref().load_cursor(source)
    }
}

/// Posts and cursors in memory, saved together under one lock: the reference implementation of
/// the [`PostSink`] contract, used by the tests and by `switchyard` demos without a database.
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    state: Arc<Mutex<MemoryState>>,
}

#[derive(Debug, Default)]
struct MemoryState {
    posts: Vec<NewPost>,
    keys: HashSet<(Channel, String)>,
    cursors: BTreeMap<String, String>,
    /// Posts offered again after they were stored (a connector re-delivering).
    duplicates: u64,
    /// Number of upcoming `ingest` calls that fail (fault injection for tests).
    failures_left: u32,
}

impl MemorySink {
    pub fn new() -> Self {
        MemorySink::default()
    }

    /// Every stored post, in arrival order.
    pub fn posts(&self) -> Vec<NewPost> {
        self.lock().posts.clone()
    }

    pub fn cursor(&self, source: &str) -> Option<String> {
        self.lock().cursors.get(source).cloned()
    }

    /// How many posts were offered again after being stored, over the sink's lifetime.
    pub fn duplicates_offered(&self) -> u64 {
        self.lock().duplicates
    }

    /// Makes the next `count` calls to `ingest` fail as if the store were down.
    pub fn fail_next(&self, count: u32) {
        self.lock().failures_left = count;
    }

    fn lock(&self) -> MutexGuard<'_, MemoryState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl PostSink for MemorySink {
    async fn ingest(
        &self,
        posts: Vec<NewPost>,
        cursor: Option<CursorUpdate>,
    ) -> Result<SinkOutcome, SinkError> {
        let mut state = self.lock();
        if state.failures_left > 0 {
            state.failures_left -= 1;
            return Err(SinkError::Unavailable("injected failure".to_string()));
        }
        let mut outcome = SinkOutcome::default();
        for post in posts {
            if state.keys.insert((post.channel, post.external_id.clone())) {
                state.posts.push(post);
                outcome.inserted += 1;
            } else {
                outcome.duplicates += 1;
                state.duplicates += 1;
            }
        }
        if let Some(cursor) = cursor {
            state.cursors.insert(cursor.source, cursor.cursor);
        }
        Ok(outcome)
    }

    async fn load_cursor(&self, source: &str) -> Result<Option<String>, SinkError> {
        Ok(self.lock().cursors.get(source).cloned())
    }
}

/// External ids of what we sent (replies, DMs, emails), so the same item coming back on a stream
/// or a poll is not ingested as a customer's post. The outbox worker calls [`SentLedger::record`]
/// with every `Delivered { external_id }` (and may seed it from the store at start-up); connectors
/// wrap their sink in [`SkipOwnPosts`]. Bounded: the oldest ids are forgotten first.
#[derive(Debug, Clone)]
pub struct SentLedger {
    inner: Arc<Mutex<LedgerState>>,
}

#[derive(Debug, Default)]
struct LedgerState {
    ids: HashSet<(Channel, String)>,
    order: VecDeque<(Channel, String)>,
    capacity: usize,
}

impl SentLedger {
    /// Remembers up to `capacity` sent ids.
    pub fn with_capacity(capacity: usize) -> Self {
        SentLedger {
            inner: Arc::new(Mutex::new(LedgerState {
                capacity: capacity.max(1),
                ..LedgerState::default()
            })),
        }
    }

    pub fn record(&self, channel: Channel, external_id: &str) {
        let mut state = self.lock();
        let key = (channel, external_id.to_string());
        if !state.ids.insert(key.clone()) {
            return;
        }
        state.order.push_back(key);
        while state.order.len() > state.capacity {
            if let Some(old) = state.order.pop_front() {
                state.ids.remove(&old);
            }
        }
    }

    pub fn contains(&self, channel: Channel, external_id: &str) -> bool {
        self.lock()
            .ids
            .contains(&(channel, external_id.to_string()))
    }

    /// Splits a batch into the posts to ingest and the number of our own that were dropped.
    pub fn remove_own(&self, posts: Vec<NewPost>) -> (Vec<NewPost>, u64) {
        let state = self.lock();
        let before = posts.len();
        let kept: Vec<NewPost> = posts
            .into_iter()
            .filter(|post| {
                !state
                    .ids
                    .contains(&(post.channel, post.external_id.clone()))
            })
            .collect();
        let dropped = (before - kept.len()) as u64;
        (kept, dropped)
    }

    fn lock(&self) -> MutexGuard<'_, LedgerState> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for SentLedger {
    fn default() -> Self {
        SentLedger::with_capacity(100_000)
    }
}

/// A sink wrapper that drops posts we sent ourselves before they reach the pipeline; the cursor
/// still advances past them.
#[derive(Debug, Clone)]
pub struct SkipOwnPosts<S> {
    pub inner: S,
    pub ledger: SentLedger,
}

impl<S: PostSink> SkipOwnPosts<S> {
    pub fn new(inner: S, ledger: SentLedger) -> Self {
        SkipOwnPosts { inner, ledger }
    }
}

impl<S: PostSink> PostSink for SkipOwnPosts<S> {
    async fn ingest(
        &self,
        posts: Vec<NewPost>,
        cursor: Option<CursorUpdate>,
    ) -> Result<SinkOutcome, SinkError> {
        let (kept, skipped) = self.ledger.remove_own(posts);
        if skipped > 0 {
            tracing::debug!(skipped, "skipped posts we sent ourselves");
        }
        let mut outcome = self.inner.ingest(kept, cursor).await?;
        outcome.skipped_own += skipped;
        Ok(outcome)
    }

    async fn load_cursor(&self, source: &str) -> Result<Option<String>, SinkError> {
        self.inner.load_cursor(source).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn post(id: &str) -> NewPost {
        NewPost::new(Channel::Mastodon, id, "amy", "hello", Utc::now())
    }

    #[tokio::test]
    async fn memory_sink_dedupes_and_saves_cursor_with_posts() {
        let sink = MemorySink::new();
        let outcome = sink
            .ingest(
                vec![post("1"), post("2"), post("1")],
                Some(CursorUpdate::new("m", "2")),
            )
            .await
            .unwrap();
        assert_eq!(outcome.inserted, 2);
        assert_eq!(outcome.duplicates, 1);
        assert_eq!(sink.load_cursor("m").await.unwrap().as_deref(), Some("2"));
        sink.fail_next(1);
        assert!(
            sink.ingest(vec![post("3")], Some(CursorUpdate::new("m", "3")))
                .await
                .is_err()
        );
        assert_eq!(sink.cursor("m").as_deref(), Some("2"));
        assert_eq!(sink.posts().len(), 2);
    }

    #[tokio::test]
    async fn ledger_drops_our_own_posts_and_forgets_the_oldest() {
        let ledger = SentLedger::with_capacity(2);
        ledger.record(Channel::Mastodon, "10");
        let sink = SkipOwnPosts::new(MemorySink::new(), ledger.clone());
        let outcome = sink
            .ingest(
                vec![post("10"), post("11")],
                Some(CursorUpdate::new("m", "11")),
            )
            .await
            .unwrap();
        assert_eq!(outcome.inserted, 1);
        assert_eq!(outcome.skipped_own, 1);
        assert_eq!(sink.inner.cursor("m").as_deref(), Some("11"));
        ledger.record(Channel::Mastodon, "12");
        ledger.record(Channel::Mastodon, "13");
        assert!(!ledger.contains(Channel::Mastodon, "10"));
        assert!(ledger.contains(Channel::Mastodon, "13"));
        assert!(!ledger.contains(Channel::Bluesky, "13"));
    }
}
