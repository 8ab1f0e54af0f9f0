//! The types the store takes and gives: ingest batches and their outcome, stored posts, filters,
//! pages, statistics, volume series, corrections and connector cursors.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use switchyard_domain::{Analysis, Channel, NewPost, Post, PostId, RouteDecision};

/// One analysed and routed post, ready to be stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestItem {
    pub post: NewPost,
    pub analysis: Analysis,
    pub route: RouteDecision,
}

/// A connector's resume position, saved in the same transaction as the posts it produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorUpdate {
    /// The connector instance's stable name, e.g. `mastodon:home@example.social`.
    pub source: String,
    /// Opaque to the store: whatever the connector needs to resume (an id, a timestamp…).
    pub cursor: String,
}

/// A connector cursor as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorState {
    pub source: String,
    pub cursor: String,
    pub updated_at: DateTime<Utc>,
}

/// What [`crate::Store::ingest`] did with each item of a batch. Every index of the batch appears in
/// exactly one of the three lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestOutcome {
    /// Newly stored posts: (index in the batch, the id the store gave it), in batch order.
    pub inserted: Vec<(usize, PostId)>,
    /// Items whose (channel, external_id) was already stored, or appeared earlier in the batch.
    pub duplicates: Vec<usize>,
    /// Items the store cannot accept (e.g. an empty external id), with the reason.
    pub rejected: Vec<(usize, String)>,
}

/// An agent's change of a label the models gave a post (training data for the next run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub id: i64,
    pub post_id: PostId,
    /// `sentiment`, `complaint`, `intent`, `reason`, `urgency`, `toxicity` or `language`.
    pub task: String,
    /// The label the agent set.
    pub label: String,
    /// The label shown just before this correction (a model's or an earlier correction's).
    pub previous_label: Option<String>,
    /// The label the model originally gave, before any correction.
    pub model_label: Option<String>,
    pub user: String,
    pub created_at: DateTime<Utc>,
}

/// A post with everything the store knows about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPost {
    pub post: Post,
    /// The analysis as shown: corrected labels replace the model's (originals are in `corrections`).
    pub analysis: Analysis,
    pub route: RouteDecision,
    /// Corrections made to this post's labels, oldest first.
    pub corrections: Vec<Correction>,
}

/// Which posts to list or count. Every set field must match; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PostFilter {
    pub channel: Option<Channel>,
    pub queue: Option<String>,
    /// Sentiment label as shown (`positive`, `neutral`, `negative`).
    pub sentiment: Option<String>,
    pub intent: Option<String>,
    /// Detected language (ISO 639-1).
    pub language: Option<String>,
    /// Author handle, with or without a leading `@`.
    pub author: Option<String>,
    /// Created at or after.
    pub since: Option<DateTime<Utc>>,
    /// Created strictly before.
    pub until: Option<DateTime<Utc>>,
    /// Only these post ids (at most [`PostFilter::MAX_IDS`]).
    pub ids: Option<Vec<PostId>>,
    /// Page size; `None` means [`PostFilter::DEFAULT_LIMIT`], capped at [`PostFilter::MAX_LIMIT`].
    pub limit: Option<u32>,
    /// Keyset paging: only posts with an id below this (pass the previous page's `next_before_id`).
    pub before_id: Option<PostId>,
}

impl PostFilter {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 1000;
    pub const MAX_IDS: usize = 10_000;

    /// The page size this filter asks for, within bounds.
    pub fn effective_limit(&self) -> u32 {
        self.limit
            .unwrap_or(Self::DEFAULT_LIMIT)
            .clamp(1, Self::MAX_LIMIT)
    }
}

/// One page of posts, newest (highest id) first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub items: Vec<StoredPost>,
    /// Pass as `before_id` to get the next page; `None` on the last page.
    pub next_before_id: Option<PostId>,
}

/// Totals for `switchyard stats` and dashboards. Serialized with `"posts": <total>` at the top.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub posts: u64,
    pub by_channel: BTreeMap<String, u64>,
    pub by_sentiment: BTreeMap<String, u64>,
    pub by_queue: BTreeMap<String, u64>,
}

/// How many posts sit in a queue and how long the oldest has waited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCount {
    pub queue: String,
    pub count: u64,
    /// Posts with priority `urgent`.
    pub urgent: u64,
    /// Posts with priority `high`.
    pub high: u64,
    /// Creation time of the oldest post in the queue.
    pub oldest_created_at: Option<DateTime<Utc>>,
}

/// Width of a volume bucket (UTC-aligned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    Hour,
    Day,
}

impl Bucket {
    /// The bucket width in microseconds.
    pub fn micros(self) -> i64 {
        match self {
            Bucket::Hour => 3_600_000_000,
            Bucket::Day => 86_400_000_000,
        }
    }
}

impl std::str::FromStr for Bucket {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hour" | "hourly" | "h" => Ok(Bucket::Hour),
            "day" | "daily" | "d" => Ok(Bucket::Day),
            other => Err(format!("unknown bucket {other:?}; expected hour or day")),
        }
    }
}

/// Posts and sentiment in one time bucket. Buckets without posts are included (zeros).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumePoint {
    pub start: DateTime<Utc>,
    pub total: u64,
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
    /// Mean VADER compound of the bucket's posts; `None` for an empty bucket.
    pub avg_compound: Option<f64>,
}
