//! The ingest flow every post takes, from a connector, the HTTP API or a file:
//! analyse (pure CPU, off the async threads for big batches) → route → store (one transaction,
//! cursor included, search index fed) → broadcast to the live stream → per-post hooks (cases).
//! Our own sent replies are recognised by (channel, external id) and never ingested as new posts.

use crate::import::{self, ImportError, ImportFormat, Rejected};
use crate::route::{BacktestReport, Backtester, RuleSet};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use switchyard_analyze::Analyzer;
use switchyard_domain::{Channel, NewPost, Post, PostId};
use switchyard_query::PostView;
use switchyard_store::{CursorUpdate, IngestItem, Store, StoreError, StoredPost};
use tokio::sync::{broadcast, mpsc};

/// A newly stored post as the live stream (SSE) and hooks see it.
pub type LivePost = Arc<StoredPost>;

/// Posts per batch (and database transaction) when importing a file. Every transaction
/// rewrites the index pages its posts touched, and random keys (authors, creation times) touch
/// most of them: 10,000 posts write them half as often as 5,000 did (≈ 40 MB more in flight).
pub const IMPORT_BATCH: usize = 10_000;

/// Bytes of an import file per post, for deciding whether it is a bulk load: about an airline
/// CSV row (≈ 235 bytes). Canonical JSON lines are longer, so their count is overestimated,
/// which at worst builds three indexes at the end of a smaller import than needed.
const BYTES_PER_POST_ESTIMATE: u64 = 256;

/// Batches at least this big are analysed on the blocking thread pool.
const BLOCKING_THRESHOLD: usize = 64;

/// How many live posts a slow subscriber may fall behind before it is told it lagged.
const LIVE_CAPACITY: usize = 4_096;

/// Recognises replies we sent ourselves (the CRM outbox implements this), so that a connector
/// hearing them back does not ingest them as new posts.
pub trait OwnReplies: Send + Sync {
    fn is_own_reply(&self, channel: Channel, external_id: &str) -> bool;
}

/// No reply is ours (the default until the outbox is wired in).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOwnReplies;

impl OwnReplies for NoOwnReplies {
    fn is_own_reply(&self, _channel: Channel, _external_id: &str) -> bool {
        false
    }
}

impl<F> OwnReplies for F
where
    F: Fn(Channel, &str) -> bool + Send + Sync,
{
    fn is_own_reply(&self, channel: Channel, external_id: &str) -> bool {
        self(channel, external_id)
    }
}

/// The future a [`PostHook`] returns.
pub type HookFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Something that acts on newly stored posts (the CRM opens or joins cases) without the pipeline
/// knowing what it is. Called once per ingested batch, after the store committed, with the new
/// posts only (ids, analysis and route included). An error is logged; the posts stay stored.
pub trait PostHook: Send + Sync {
    /// A short name for logs.
    fn name(&self) -> &str;
    fn on_stored<'a>(&'a self, posts: &'a [LivePost]) -> HookFuture<'a>;
}

/// What happened to each post of an [`Pipeline::ingest`] call; indexes refer to the input `Vec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IngestOutcome {
    /// Newly stored: (index in the input, the store's id).
    pub inserted: Vec<(usize, PostId)>,
    /// Already stored (same channel and external id), or repeated in the batch.
    pub duplicates: Vec<usize>,
    /// Refused by the store, with the reason.
    pub rejected: Vec<(usize, String)>,
    /// How many were our own sent replies and were skipped.
    pub own_replies: usize,
}

/// Progress of a file import, reported after each batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Records read so far (posts and rejected records).
    pub read: u64,
    pub new: u64,
    pub duplicate: u64,
    pub rejected: u64,
    pub own_reply: u64,
}

/// The end summary of a file import.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub path: PathBuf,
    #[serde(serialize_with = "display")]
    pub format: ImportFormat,
    /// Records read (posts and rejected records).
    pub read: u64,
    pub new: u64,
    pub duplicate: u64,
    pub own_reply: u64,
    /// Every rejected record with its line and reason, in file order.
    pub rejected: Vec<Rejected>,
    /// Whether the file was imported as a bulk load (three indexes built at its end; see
    /// [`Pipeline::import_file`]).
    pub bulk_load: bool,
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
}

fn display<S: serde::Serializer>(value: &ImportFormat, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

fn seconds<S: serde::Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(value.as_secs_f64())
}

/// Why ingesting or importing stopped.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("storing posts failed: {0}")]
    Store(#[from] StoreError),
    #[error(
        "importing {path} stopped after {stored} new posts were stored ({read} records read): {source}; what was stored is kept, and importing the file again resumes (duplicates are skipped)"
    )]
    ImportInterrupted {
        path: PathBuf,
        read: u64,
        stored: u64,
        source: StoreError,
    },
    #[error("the analysis worker failed: {0}; this is a bug, please report it")]
    Worker(String),
}

/// The ingest flow with everything it needs. Cheap to share behind an `Arc`.
pub struct Pipeline {
    analyzer: Arc<Analyzer>,
    rules: RwLock<Arc<RuleSet>>,
    store: Store,
    live: broadcast::Sender<LivePost>,
    own_replies: RwLock<Arc<dyn OwnReplies>>,
    hooks: RwLock<Vec<Arc<dyn PostHook>>>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("rules", &self.rules().rules().len())
            .field("live_subscribers", &self.live.receiver_count())
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    pub fn new(analyzer: Arc<Analyzer>, rules: RuleSet, store: Store) -> Self {
        let (live, _) = broadcast::channel(LIVE_CAPACITY);
        Pipeline {
            analyzer,
            rules: RwLock::new(Arc::new(rules)),
            store,
            live,
            own_replies: RwLock::new(Arc::new(NoOwnReplies)),
            hooks: RwLock::new(Vec::new()),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn analyzer(&self) -> &Arc<Analyzer> {
        &self.analyzer
    }

    /// The rules in force now.
    pub fn rules(&self) -> Arc<RuleSet> {
        self.rules
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Replaces the rules (e.g. after the rules file changed); batches in flight keep the old ones.
    pub fn set_rules(&self, rules: RuleSet) {
        *self
            .rules
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(rules);
    }

    /// Sets the loop-prevention check (the CRM outbox's sent-reply ledger).
    pub fn set_own_replies(&self, own_replies: Arc<dyn OwnReplies>) {
        *self
            .own_replies
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = own_replies;
    }

    /// Adds a hook called with every batch of newly stored posts.
    pub fn add_hook(&self, hook: Arc<dyn PostHook>) {
        self.hooks
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(hook);
    }

    /// A receiver of every newly stored post (for the SSE live stream).
    pub fn subscribe(&self) -> broadcast::Receiver<LivePost> {
        self.live.subscribe()
    }

    /// The sending side of the live stream (for components that publish on it too).
    pub fn live_sender(&self) -> broadcast::Sender<LivePost> {
        self.live.clone()
    }

    /// Analyses, routes and stores `posts` (with `cursor`, in one transaction), then broadcasts the
    /// new ones and calls the hooks. Idempotent: posts already stored are reported as duplicates.
    pub async fn ingest(
        &self,
        posts: Vec<NewPost>,
        cursor: Option<CursorUpdate>,
    ) -> Result<IngestOutcome, PipelineError> {
        let mut outcome = IngestOutcome::default();
        let own_replies = self
            .own_replies
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let mut kept = Vec::with_capacity(posts.len());
        let mut original_index = Vec::with_capacity(posts.len());
        for (index, post) in posts.into_iter().enumerate() {
            if own_replies.is_own_reply(post.channel, &post.external_id) {
                outcome.own_replies += 1;
                continue;
            }
            kept.push(post);
            original_index.push(index);
        }
        if kept.is_empty() && cursor.is_none() {
            return Ok(outcome);
        }
        let rules = self.rules();
        let now = Utc::now();
        let items = if kept.len() >= BLOCKING_THRESHOLD {
            let analyzer = self.analyzer.clone();
            tokio::task::spawn_blocking(move || analyse_and_route(&analyzer, &rules, kept, now))
                .await
                .map_err(|error| PipelineError::Worker(error.to_string()))?
        } else {
            analyse_and_route(&self.analyzer, &rules, kept, now)
        };
        let stored = self.store.ingest(&items, cursor).await?;
        outcome.duplicates = stored
            .duplicates
            .iter()
            .map(|i| original_index[*i])
            .collect();
        outcome.rejected = stored
            .rejected
            .iter()
            .map(|(i, reason)| (original_index[*i], reason.clone()))
            .collect();
        outcome.inserted = stored
            .inserted
            .iter()
            .map(|(i, id)| (original_index[*i], *id))
            .collect();
        self.publish(items, &stored.inserted, now).await;
        Ok(outcome)
    }

    /// Broadcasts the new posts and runs the hooks (only builds the shared copies when someone
    /// listens).
    async fn publish(
        &self,
        items: Vec<IngestItem>,
        inserted: &[(usize, PostId)],
        now: DateTime<Utc>,
    ) {
        let hooks: Vec<Arc<dyn PostHook>> = self
            .hooks
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        if inserted.is_empty() || (hooks.is_empty() && self.live.receiver_count() == 0) {
            return;
        }
        let mut slots: Vec<Option<IngestItem>> = items.into_iter().map(Some).collect();
        let mut live_posts = Vec::with_capacity(inserted.len());
        for (index, id) in inserted {
            let Some(item) = slots.get_mut(*index).and_then(Option::take) else {
                continue;
            };
            live_posts.push(Arc::new(StoredPost {
                post: Post {
                    id: *id,
                    post: item.post,
                    ingested_at: now,
                },
                analysis: item.analysis,
                route: item.route,
                corrections: Vec::new(),
            }));
        }
        for post in &live_posts {
            // An error only means nobody is listening right now.
            let _ = self.live.send(post.clone());
        }
        for hook in hooks {
            if let Err(error) = hook.on_stored(&live_posts).await {
                tracing::error!(hook = hook.name(), %error, posts = live_posts.len(), "post hook failed; the posts are stored");
            }
        }
    }

    /// Imports a file: reads it (format detected when `format` is `None`) in batches of
    /// [`IMPORT_BATCH`] and ingests each batch, calling `on_progress` after each. Memory stays flat
    /// however big the file; the search index is committed at the end so the posts are searchable.
    ///
    /// A file big enough to hold many more posts than are stored is imported as a bulk load
    /// ([`switchyard_store::Store::begin_bulk_load`]): three indexes are built once at the end
    /// instead of row by row.
    pub async fn import_file(
        &self,
        path: impl AsRef<Path>,
        format: Option<ImportFormat>,
        on_progress: impl FnMut(Progress),
    ) -> Result<ImportReport, PipelineError> {
        let path = path.as_ref();
        let records = import::open_path(path, format.as_ref())?;
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let bulk = self
            .store
            .begin_bulk_load(bytes / BYTES_PER_POST_ESTIMATE)
            .await?;
        let result = self
            .import_records(path, records, on_progress)
            .await
            .map(|report| ImportReport {
                bulk_load: bulk,
                ..report
            });
        if bulk {
            // Always, also after an error: the indexes come back before this returns.
            let finished = self.store.finish_bulk_load().await;
            if let Err(error) = finished {
                match result {
                    Ok(_) => return Err(error.into()),
                    Err(_) => {
                        tracing::error!(%error, "building the deferred indexes failed; the next open builds them")
                    }
                }
            }
        }
        result
    }

    async fn import_records(
        &self,
        path: &Path,
        records: import::Records,
        mut on_progress: impl FnMut(Progress),
    ) -> Result<ImportReport, PipelineError> {
        let started = Instant::now();
        let path = path.to_path_buf();
        let format = records.format().clone();
        // The reader runs on its own blocking thread, one batch ahead of analysis.
        let (sender, mut receiver) = mpsc::channel::<(Vec<NewPost>, Vec<Rejected>)>(2);
        let reader = tokio::task::spawn_blocking(move || {
            let mut posts = Vec::with_capacity(IMPORT_BATCH);
            let mut rejected = Vec::new();
            for item in records {
                match item {
                    Ok(post) => posts.push(post),
                    Err(bad) => rejected.push(bad),
                }
                if posts.len() >= IMPORT_BATCH {
                    let batch = std::mem::replace(&mut posts, Vec::with_capacity(IMPORT_BATCH));
                    if sender
                        .blocking_send((batch, std::mem::take(&mut rejected)))
                        .is_err()
                    {
                        return;
                    }
                }
            }
            let _ = sender.blocking_send((posts, rejected));
        });
        let mut report = ImportReport {
            path: path.clone(),
            format,
            read: 0,
            new: 0,
            duplicate: 0,
            own_reply: 0,
            rejected: Vec::new(),
            bulk_load: false,
            elapsed: Duration::ZERO,
        };
        while let Some((posts, rejected)) = receiver.recv().await {
            report.read += (posts.len() + rejected.len()) as u64;
            report.rejected.extend(rejected);
            let external_ids: Vec<String> = posts.iter().map(|p| p.external_id.clone()).collect();
            let outcome = match self.ingest(posts, None).await {
                Ok(outcome) => outcome,
                Err(PipelineError::Store(source)) => {
                    drop(receiver);
                    let _ = reader.await;
                    return Err(PipelineError::ImportInterrupted {
                        path,
                        read: report.read,
                        stored: report.new,
                        source,
                    });
                }
                Err(other) => return Err(other),
            };
            report.new += outcome.inserted.len() as u64;
            report.duplicate += outcome.duplicates.len() as u64;
            report.own_reply += outcome.own_replies as u64;
            for (index, reason) in outcome.rejected {
                let id = external_ids.get(index).map(String::as_str).unwrap_or("?");
                report
                    .rejected
                    .push(Rejected::new(0, format!("post {id}: {reason}")));
            }
            on_progress(Progress {
                read: report.read,
                new: report.new,
                duplicate: report.duplicate,
                rejected: report.rejected.len() as u64,
                own_reply: report.own_reply,
            });
        }
        reader
            .await
            .map_err(|error| PipelineError::Worker(error.to_string()))?;
        self.store.commit_index().await?;
        report.rejected.sort_by_key(|r| r.line);
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// What the current rules would have done on stored posts created since `since`.
    pub async fn backtest(
        &self,
        since: impl Into<Option<DateTime<Utc>>>,
    ) -> Result<BacktestReport, StoreError> {
        self.rules().backtest(&self.store, since).await
    }
}

/// Analyses and routes a batch (pure CPU).
fn analyse_and_route(
    analyzer: &Analyzer,
    rules: &RuleSet,
    posts: Vec<NewPost>,
    now: DateTime<Utc>,
) -> Vec<IngestItem> {
    posts
        .into_iter()
        .map(|post| {
            let analysis = analyzer.analyze(&post.text, post.author.followers);
            let route = rules.route(
                &PostView {
                    post: &post,
                    analysis: Some(&analysis),
                },
                now,
            );
            IngestItem {
                post,
                analysis,
                route,
            }
        })
        .collect()
}

impl RuleSet {
    /// Back-tests these rules on the posts stored since `since` (all when `None`), with their
    /// stored (agent-corrected) analysis. Reads in batches; writes nothing.
    pub async fn backtest(
        &self,
        store: &Store,
        since: impl Into<Option<DateTime<Utc>>>,
    ) -> Result<BacktestReport, StoreError> {
        let since = since.into();
        let mut backtester = Backtester::new(self, since);
        let mut batches = store.posts_in_batches(since, 1_000);
        while let Some(batch) = batches.next().await? {
            for stored in &batch {
                backtester.add(
                    stored.post.id,
                    &PostView {
                        post: &stored.post.post,
                        analysis: Some(&stored.analysis),
                    },
                );
            }
        }
        Ok(backtester.finish())
    }
}
