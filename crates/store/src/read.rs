//! Reading posts back: one post, filtered pages with keyset paging, batches for backtests and
//! reindexing, totals, queue counts and volume/sentiment series.

use crate::error::{DbContext, Result, StoreError};
use crate::model::{
    Bucket, Correction, Page, PostFilter, QueueCount, Stats, StoredPost, VolumePoint,
};
use crate::sql::{Bind, Conditions, bind_all, count_from_i64, from_micros, to_micros, with_pool};
use crate::store::Store;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use std::collections::{BTreeMap, HashMap};
use switchyard_domain::{
    Analysis, Author, Channel, Engagement, NewPost, Post, PostId, Priority, RouteDecision,
    Visibility,
};

/// The columns every post query selects, with the joins they need.
pub(crate) const POST_SELECT: &str = "SELECT p.id, p.channel, p.external_id, p.thread_id, \
     p.parent_id, p.author_handle, p.author_display_name, p.author_followers, p.author_verified, \
     p.text, p.language, p.created_at, p.ingested_at, p.visibility, p.permalink, p.likes, \
     p.shares, p.replies, p.views, p.meta, p.analysis, p.queue, p.priority, p.tags, \
     p.sla_policy, p.alerts, p.matched_rules FROM posts p";

/// Volume queries never return more buckets than this (ask for days or a shorter range).
pub const MAX_VOLUME_BUCKETS: i64 = 100_000;

#[derive(sqlx::FromRow)]
pub(crate) struct PostRecord {
    id: i64,
    channel: String,
    external_id: String,
    thread_id: Option<String>,
    parent_id: Option<String>,
    author_handle: String,
    author_display_name: Option<String>,
    author_followers: Option<i64>,
    author_verified: bool,
    text: String,
    language: Option<String>,
    created_at: i64,
    ingested_at: i64,
    visibility: String,
    permalink: Option<String>,
    likes: i64,
    shares: i64,
    replies: i64,
    views: Option<i64>,
    meta: Option<Json<serde_json::Value>>,
    analysis: Json<Analysis>,
    queue: String,
    priority: String,
    tags: Json<Vec<String>>,
    sla_policy: Option<String>,
    alerts: Json<Vec<String>>,
    matched_rules: Json<Vec<String>>,
}

impl PostRecord {
    pub(crate) fn into_stored(self, corrections: Vec<Correction>) -> Result<StoredPost> {
        let channel: Channel = self.channel.parse().map_err(|_| {
            StoreError::Corrupt(format!(
                "post {} has unknown channel {:?}",
                self.id, self.channel
            ))
        })?;
        let visibility = match self.visibility.as_str() {
            "public" => Visibility::Public,
            "private" => Visibility::Private,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "post {} has unknown visibility {other:?}",
                    self.id
                )));
            }
        };
        let priority: Priority = self.priority.parse().map_err(|message: String| {
            StoreError::Corrupt(format!("post {}: {message}", self.id))
        })?;
        let post = NewPost {
            channel,
            external_id: self.external_id,
            thread_id: self.thread_id,
            parent_id: self.parent_id,
            author: Author {
                handle: self.author_handle,
                display_name: self.author_display_name,
                followers: self.author_followers.map(count_from_i64),
                verified: self.author_verified,
            },
            text: self.text,
            language: self.language,
            created_at: from_micros(self.created_at)?,
            visibility,
            permalink: self.permalink,
            engagement: Engagement {
                likes: count_from_i64(self.likes),
                shares: count_from_i64(self.shares),
                replies: count_from_i64(self.replies),
                views: self.views.map(count_from_i64),
            },
            meta: self
                .meta
                .map(|json| json.0)
                .unwrap_or(serde_json::Value::Null),
        };
        Ok(StoredPost {
            post: Post {
                id: self.id,
                post,
                ingested_at: from_micros(self.ingested_at)?,
            },
            analysis: self.analysis.0,
            route: RouteDecision {
                queue: self.queue,
                priority,
                tags: self.tags.0,
                sla_policy: self.sla_policy,
                alerts: self.alerts.0,
                matched_rules: self.matched_rules.0,
            },
            corrections,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CorrectionRecord {
    id: i64,
    post_id: i64,
    task: String,
    label: String,
    previous_label: Option<String>,
    model_label: Option<String>,
    user_name: String,
    created_at: i64,
}

impl CorrectionRecord {
    pub(crate) fn into_correction(self) -> Result<Correction> {
        Ok(Correction {
            id: self.id,
            post_id: self.post_id,
            task: self.task,
            label: self.label,
            previous_label: self.previous_label,
            model_label: self.model_label,
            user: self.user_name,
            created_at: from_micros(self.created_at)?,
        })
    }
}

pub(crate) const CORRECTION_SELECT: &str = "SELECT id, post_id, task, label, previous_label, \
     model_label, user_name, created_at FROM corrections";

/// Adds the filter's conditions (not its paging) to `conditions`.
fn filter_conditions(filter: &PostFilter, conditions: &mut Conditions) -> Result<()> {
    if let Some(channel) = filter.channel {
        conditions.push("p.channel = {}", Bind::Text(channel.as_str().to_string()));
    }
    if let Some(queue) = &filter.queue {
        conditions.push("p.queue = {}", Bind::Text(queue.trim().to_string()));
    }
    if let Some(sentiment) = &filter.sentiment {
        conditions.push(
            "p.sentiment = {}",
            Bind::Text(sentiment.trim().to_ascii_lowercase()),
        );
    }
    if let Some(intent) = &filter.intent {
        conditions.push(
            "p.intent = {}",
            Bind::Text(intent.trim().to_ascii_lowercase()),
        );
    }
    if let Some(language) = &filter.language {
        conditions.push(
            "p.detected_language = {}",
            Bind::Text(language.trim().to_ascii_lowercase()),
        );
    }
    if let Some(author) = &filter.author {
        conditions.push(
            "p.author_handle = {}",
            Bind::Text(author.trim().trim_start_matches('@').to_string()),
        );
    }
    if let Some(since) = filter.since {
        conditions.push("p.created_at >= {}", Bind::Int(to_micros(since)));
    }
    if let Some(until) = filter.until {
        conditions.push("p.created_at < {}", Bind::Int(to_micros(until)));
    }
    if let Some(ids) = &filter.ids {
        if ids.len() > PostFilter::MAX_IDS {
            return Err(StoreError::Invalid(format!(
                "{} post ids asked for at once; ask for at most {} per request",
                ids.len(),
                PostFilter::MAX_IDS
            )));
        }
        if ids.is_empty() {
            conditions.clauses.push("1 = 0".to_string());
        } else {
            let placeholders = ids
                .iter()
                .map(|id| conditions.bind(Bind::Int(*id)))
                .collect::<Vec<_>>()
                .join(",");
            conditions.clauses.push(format!("p.id IN ({placeholders})"));
        }
    }
    Ok(())
}

impl Store {
    /// One post with its analysis, route and corrections, or `None` if there is no such post.
    pub async fn get_post(&self, id: PostId) -> Result<Option<StoredPost>> {
        let sql = format!("{POST_SELECT} WHERE p.id = $1");
        let record: Option<PostRecord> = with_pool!(&self.inner.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await
                .during("reading a post")
        })?;
        let Some(record) = record else {
            return Ok(None);
        };
        let mut corrections = self.corrections_for(&[id]).await?;
        let corrections = corrections.remove(&id).unwrap_or_default();
        record.into_stored(corrections).map(Some)
    }

    /// A page of posts matching `filter`, newest (highest id) first. Pass the page's
    /// `next_before_id` as the next filter's `before_id` to continue.
    pub async fn list_posts(&self, filter: &PostFilter) -> Result<Page> {
        let mut conditions = Conditions::new(self.inner.db.backend());
        filter_conditions(filter, &mut conditions)?;
        if let Some(before) = filter.before_id {
            conditions.push("p.id < {}", Bind::Int(before));
        }
        let limit = filter.effective_limit() as usize;
        let sql = format!(
            "{POST_SELECT} {} ORDER BY p.id DESC LIMIT {}",
            conditions.where_sql(),
            limit + 1
        );
        let mut records: Vec<PostRecord> = with_pool!(&self.inner.db, |pool| {
            bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &conditions.binds)
                .fetch_all(pool)
                .await
                .during("listing posts")
        })?;
        let more = records.len() > limit;
        records.truncate(limit);
        let items = self.attach_corrections(records).await?;
        let next_before_id = if more {
            items.last().map(|item| item.post.id)
        } else {
            None
        };
        Ok(Page {
            items,
            next_before_id,
        })
    }

    /// Posts with the given ids (missing ids are skipped), in the order asked for.
    pub async fn get_posts(&self, ids: &[PostId]) -> Result<Vec<StoredPost>> {
        let mut by_id = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(PostFilter::MAX_IDS) {
            let mut conditions = Conditions::new(self.inner.db.backend());
            filter_conditions(
                &PostFilter {
                    ids: Some(chunk.to_vec()),
                    ..PostFilter::default()
                },
                &mut conditions,
            )?;
            let sql = format!("{POST_SELECT} {}", conditions.where_sql());
            let records: Vec<PostRecord> = with_pool!(&self.inner.db, |pool| {
                bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &conditions.binds)
                    .fetch_all(pool)
                    .await
                    .during("reading posts by id")
            })?;
            for post in self.attach_corrections(records).await? {
                by_id.insert(post.post.id, post);
            }
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    pub(crate) async fn attach_corrections(
        &self,
        records: Vec<PostRecord>,
    ) -> Result<Vec<StoredPost>> {
        let ids = records.iter().map(|record| record.id).collect::<Vec<_>>();
        let mut corrections = self.corrections_for(&ids).await?;
        records
            .into_iter()
            .map(|record| {
                let own = corrections.remove(&record.id).unwrap_or_default();
                record.into_stored(own)
            })
            .collect()
    }

    /// Corrections of these posts, oldest first, by post id.
    pub(crate) async fn corrections_for(
        &self,
        ids: &[PostId],
    ) -> Result<HashMap<PostId, Vec<Correction>>> {
        let mut by_post: HashMap<PostId, Vec<Correction>> = HashMap::new();
        if ids.is_empty() {
            return Ok(by_post);
        }
        for chunk in ids.chunks(PostFilter::MAX_IDS) {
            let backend = self.inner.db.backend();
            let placeholders = (1..=chunk.len())
                .map(|n| backend.placeholder(n))
                .collect::<Vec<_>>()
                .join(",");
            let sql = format!("{CORRECTION_SELECT} WHERE post_id IN ({placeholders}) ORDER BY id");
            let records: Vec<CorrectionRecord> = with_pool!(&self.inner.db, |pool| {
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).persistent(false);
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(pool).await.during("reading corrections")
            })?;
            for record in records {
                let correction = record.into_correction()?;
                by_post
                    .entry(correction.post_id)
                    .or_default()
                    .push(correction);
            }
        }
        Ok(by_post)
    }

    /// Totals: all posts, and counts by channel, sentiment (as shown) and queue.
    pub async fn stats(&self) -> Result<Stats> {
        let grouped = |rows: Vec<(String, i64)>| {
            rows.into_iter()
                .map(|(key, count)| (key, count_from_i64(count)))
                .collect::<BTreeMap<_, _>>()
        };
        let (posts, by_channel, by_sentiment, by_queue) = with_pool!(&self.inner.db, |pool| {
            let posts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM posts")
                .fetch_one(pool)
                .await
                .during("counting posts")?;
            let by_channel: Vec<(String, i64)> =
                sqlx::query_as("SELECT channel, COUNT(*) FROM posts GROUP BY channel")
                    .fetch_all(pool)
                    .await
                    .during("counting posts by channel")?;
            let by_sentiment: Vec<(String, i64)> =
                sqlx::query_as("SELECT sentiment, COUNT(*) FROM posts GROUP BY sentiment")
                    .fetch_all(pool)
                    .await
                    .during("counting posts by sentiment")?;
            let by_queue: Vec<(String, i64)> =
                sqlx::query_as("SELECT queue, COUNT(*) FROM posts GROUP BY queue")
                    .fetch_all(pool)
                    .await
                    .during("counting posts by queue")?;
            (posts, by_channel, by_sentiment, by_queue)
        });
        Ok(Stats {
            posts: count_from_i64(posts),
            by_channel: grouped(by_channel),
            by_sentiment: grouped(by_sentiment),
            by_queue: grouped(by_queue),
        })
    }

    /// For every queue: how many posts it holds, how many are urgent or high priority, and when
    /// the oldest was created. Sorted by queue name.
    pub async fn queue_counts(&self) -> Result<Vec<QueueCount>> {
        let rows: Vec<(String, i64, i64, i64, Option<i64>)> = with_pool!(&self.inner.db, |pool| {
            sqlx::query_as(
                "SELECT p.queue, COUNT(*), \
                 COUNT(CASE WHEN p.priority = 'urgent' THEN 1 END), \
                 COUNT(CASE WHEN p.priority = 'high' THEN 1 END), \
                 MIN(p.created_at) \
                 FROM posts p \
                 GROUP BY p.queue ORDER BY p.queue",
            )
            .fetch_all(pool)
            .await
            .during("counting queues")
        })?;
        rows.into_iter()
            .map(|(queue, count, urgent, high, oldest)| {
                Ok(QueueCount {
                    queue,
                    count: count_from_i64(count),
                    urgent: count_from_i64(urgent),
                    high: count_from_i64(high),
                    oldest_created_at: oldest.map(from_micros).transpose()?,
                })
            })
            .collect()
    }

    /// Posts and sentiment per hour or day (UTC) of creation, for posts matching `filter` (its
    /// paging fields are ignored) and created in `[since, until)`. Empty buckets between the first
    /// and the last are included with zeros, from `since` and up to `until` when they are given.
    pub async fn volume(
        &self,
        bucket: Bucket,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        filter: &PostFilter,
    ) -> Result<Vec<VolumePoint>> {
        let width = bucket.micros();
        let mut filter = filter.clone();
        filter.since = match (filter.since, since) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        filter.until = match (filter.until, until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let start = filter.since.map(|at| floor_to(to_micros(at), width));
        let end = filter.until.map(to_micros);
        if let (Some(start), Some(end)) = (start, end)
            && (end - start) / width > MAX_VOLUME_BUCKETS
        {
            return Err(StoreError::Invalid(format!(
                "the range holds more than {MAX_VOLUME_BUCKETS} {bucket:?} buckets; ask for a shorter range or daily buckets"
            )));
        }
        let mut conditions = Conditions::new(self.inner.db.backend());
        filter_conditions(&filter, &mut conditions)?;
        let sql = format!(
            "SELECT (p.created_at / {w}) * {w} AS bucket, COUNT(*) AS total, \
             COUNT(CASE WHEN p.sentiment = 'positive' THEN 1 END) AS positive, \
             COUNT(CASE WHEN p.sentiment = 'neutral' THEN 1 END) AS neutral, \
             COUNT(CASE WHEN p.sentiment = 'negative' THEN 1 END) AS negative, \
             AVG(p.compound) AS avg_compound \
             FROM posts p {} \
             GROUP BY bucket ORDER BY bucket",
            conditions.where_sql(),
            // A constant of the enum, not user input: inlined so placeholders stay in bind order.
            w = width
        );
        let rows: Vec<(i64, i64, i64, i64, i64, Option<f64>)> =
            with_pool!(&self.inner.db, |pool| {
                bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &conditions.binds)
                    .fetch_all(pool)
                    .await
                    .during("computing volume")
            })?;
        // Division truncates toward zero, so align pre-1970 buckets down.
        let mut by_start: BTreeMap<i64, (i64, i64, i64, i64, Option<f64>)> = BTreeMap::new();
        for (bucket_start, total, positive, neutral, negative, avg) in rows {
            let aligned = floor_to(bucket_start, width);
            by_start.insert(aligned, (total, positive, neutral, negative, avg));
        }
        let first = match (start, by_start.keys().next()) {
            (Some(start), _) => start,
            (None, Some(&first)) => first,
            (None, None) => return Ok(Vec::new()),
        };
        let last = match (end, by_start.keys().next_back()) {
            (Some(end), _) => floor_to(end - 1, width),
            (None, Some(&last)) => last,
            (None, None) => return Ok(Vec::new()),
        };
        if (last - first) / width > MAX_VOLUME_BUCKETS {
            return Err(StoreError::Invalid(format!(
                "the posts span more than {MAX_VOLUME_BUCKETS} {bucket:?} buckets; give since/until or ask for daily buckets"
            )));
        }
        let mut points = Vec::new();
        let mut at = first;
        while at <= last {
            let (total, positive, neutral, negative, avg) =
                by_start.get(&at).copied().unwrap_or((0, 0, 0, 0, None));
            points.push(VolumePoint {
                start: from_micros(at)?,
                total: count_from_i64(total),
                positive: count_from_i64(positive),
                neutral: count_from_i64(neutral),
                negative: count_from_i64(negative),
                avg_compound: if total == 0 { None } else { avg },
            });
            at += width;
        }
        Ok(points)
    }

    /// Walks every post created at or after `since` (all posts when `None`), oldest id first, in
    /// batches of `batch_size` (for backtests and reindexing). Call [`PostBatches::next`] until it
    /// returns `None`.
    pub fn posts_in_batches(&self, since: Option<DateTime<Utc>>, batch_size: usize) -> PostBatches {
        PostBatches {
            store: self.clone(),
            since,
            after_id: 0,
            batch_size: batch_size.clamp(1, PostFilter::MAX_IDS),
            done: false,
        }
    }

    /// Posts with an id above `after_id`, ascending, at most `limit`.
    pub(crate) async fn posts_after(
        &self,
        after_id: PostId,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<StoredPost>> {
        let mut conditions = Conditions::new(self.inner.db.backend());
        conditions.push("p.id > {}", Bind::Int(after_id));
        if let Some(since) = since {
            conditions.push("p.created_at >= {}", Bind::Int(to_micros(since)));
        }
        let sql = format!(
            "{POST_SELECT} {} ORDER BY p.id LIMIT {limit}",
            conditions.where_sql()
        );
        let records: Vec<PostRecord> = with_pool!(&self.inner.db, |pool| {
            bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &conditions.binds)
                .fetch_all(pool)
                .await
                .during("reading a batch of posts")
        })?;
        self.attach_corrections(records).await
    }
}

/// `value` rounded down to a multiple of `width` (also for negative values).
fn floor_to(value: i64, width: i64) -> i64 {
    value.div_euclid(width) * width
}

/// A walk over stored posts in id order, batch by batch (see [`Store::posts_in_batches`]).
pub struct PostBatches {
    store: Store,
    since: Option<DateTime<Utc>>,
    after_id: PostId,
    batch_size: usize,
    done: bool,
}

impl PostBatches {
    /// The next batch, or `None` when every post has been seen. Posts stored while walking are
    /// included if their id is higher than the last one returned.
    pub async fn next(&mut self) -> Result<Option<Vec<StoredPost>>> {
        if self.done {
            return Ok(None);
        }
        let batch = self
            .store
            .posts_after(self.after_id, self.since, self.batch_size)
            .await?;
        if batch.len() < self.batch_size {
            self.done = true;
        }
        match batch.last() {
            Some(last) => {
                self.after_id = last.post.id;
                Ok(Some(batch))
            }
            None => Ok(None),
        }
    }
}
