//! Batched, idempotent ingest: posts, their analysis and routing, and the connector's cursor, all
//! in one transaction, with multi-row INSERTs so that large imports stay fast.

use crate::error::{DbContext, Result, StoreError};
use crate::model::{CursorState, CursorUpdate, IngestItem, IngestOutcome};
use crate::sql::{
    HIGHEST_POST_ID, clean_text, count_to_i64, from_micros, json_text, to_micros, values_sql,
    with_pool, with_write_tx, without_nul_escapes,
};
use crate::store::{Backend, Store};
use chrono::Utc;
use rustc_hash::FxHashSet;
use std::collections::HashMap;
use std::sync::Arc;
use switchyard_domain::{Analysis, NewPost, PostId, RouteDecision, UNROUTED_QUEUE};

/// Rows per INSERT statement (35 columns: 17,500 binds, under SQLite's 32,766 and PostgreSQL's
/// 65,535).
const ROWS_PER_STATEMENT: usize = 500;

/// A post, its analysis and its route are one row (migration 0003).
const POST_COLUMNS: usize = 35;
/// SQLite's verb: `OR FAIL` makes any other constraint failure stop the statement where it is
/// instead of undoing the statement's earlier rows (`ABORT`, the default). Nothing needs that
/// undo (a failed batch rolls back its whole transaction), and without it SQLite keeps no
/// statement journal: every page a 500-row INSERT touched was copied there first. The
/// `ON CONFLICT … DO NOTHING` below still decides duplicates.
const SQLITE_INSERT_VERB: &str = "INSERT OR FAIL INTO";
const POST_INSERT_HEAD: &str = "posts (channel, external_id, thread_id, parent_id, \
     author_handle, author_display_name, author_followers, author_verified, text, language, \
     created_at, ingested_at, visibility, permalink, likes, shares, replies, views, meta, \
     detected_language, sentiment, compound, complaint, intent, reason, urgency, toxicity, \
     analysis, queue, priority, tags, sla_policy, alerts, matched_rules, routed_at) VALUES ";
const POST_INSERT_CONFLICT: &str = " ON CONFLICT (channel, external_id) DO NOTHING";
/// PostgreSQL names the stored rows in the INSERT itself. SQLite does not: sqlx hands each
/// returned row from its worker thread to the caller one by one, two context switches per row
/// when both share a core (a sixth of an import's CPU went there), so SQLite reads them all
/// afterwards as one JSON value ([`SQLITE_INSERTED_SINCE`]).
const POST_INSERT_RETURNING: &str = " RETURNING id, channel, external_id";
/// The posts stored since the highest id before the batch, as one `[[id, channel, external_id],
/// …]` value. In the batch's write transaction (SQLite has one writer, and `AUTOINCREMENT` ids
/// only grow) these are exactly the posts this batch inserted.
const SQLITE_INSERTED_SINCE: &str = "SELECT COALESCE(json_group_array(json_array(id, channel, \
     external_id)), '[]') FROM posts WHERE id > $1";
/// meta, analysis, tags, alerts, matched_rules.
const POST_JSON_COLUMNS: &[usize] = &[18, 27, 30, 32, 33];

/// A post's values, cleaned and converted to what the database stores.
struct PostRow<'a> {
    post: &'a NewPost,
    channel: Arc<str>,
    visibility: Arc<str>,
    text: std::borrow::Cow<'a, str>,
    meta: Option<String>,
    analysis: AnalysisRow,
    route: RouteRow,
}

/// Strings that repeat from row to row (channel, labels, queue, priority, empty JSON lists),
/// each kept once per batch and bound as a clone of one `Arc<str>`. sqlx wraps every other
/// string it binds in a new `Arc` (after copying a borrowed one), and SQLite's worker thread
/// frees both: two allocations and two cross-thread frees per column and row saved.
#[derive(Default)]
pub(crate) struct SharedStrings(FxHashSet<Arc<str>>);

impl SharedStrings {
    /// The shared copy of `text` (NUL characters replaced, as [`clean_text`] does).
    pub(crate) fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(clean_text(text).as_ref());
        self.0.insert(shared.clone());
        shared
    }

    /// The shared JSON text of a list of strings (`[]` without serialising anything).
    fn json_list(&mut self, list: &[String]) -> Result<Arc<str>> {
        if list.is_empty() {
            return Ok(self.get("[]"));
        }
        Ok(self.get(&json_text(&list)?))
    }
}

/// A post's analysis columns (labels for filters, the whole analysis as JSON), ready to bind.
pub(crate) struct AnalysisRow {
    pub(crate) language: Arc<str>,
    pub(crate) sentiment: Arc<str>,
    pub(crate) compound: f64,
    pub(crate) complaint: Option<Arc<str>>,
    pub(crate) intent: Option<Arc<str>>,
    pub(crate) reason: Option<Arc<str>>,
    pub(crate) urgency: Option<Arc<str>>,
    pub(crate) toxicity: Option<Arc<str>>,
    pub(crate) json: String,
}

impl AnalysisRow {
    pub(crate) fn new(analysis: &Analysis, shared: &mut SharedStrings) -> AnalysisRow {
        let mut label = |task: &str| analysis.label(task).map(|label| shared.get(label));
        let complaint = label("complaint");
        let intent = label("intent");
        let reason = label("reason");
        let urgency = label("urgency");
        let toxicity = label("toxicity");
        let compound = analysis.sentiment.vader.compound;
        AnalysisRow {
            language: shared.get(&analysis.language),
            sentiment: shared.get(&analysis.sentiment.label),
            compound: if compound.is_finite() { compound } else { 0.0 },
            complaint,
            intent,
            reason,
            urgency,
            toxicity,
            json: analysis_json(analysis),
        }
    }
}

/// The analysis as stored JSON: [`Analysis::write_json_stored`]'s positional array (each
/// explanation feature once; ≈ half the object form, and the analysis is a post's largest
/// column), with NUL escapes replaced ([`without_nul_escapes`]). Reading accepts this and the
/// object forms that rows stored before hold.
pub(crate) fn analysis_json(analysis: &Analysis) -> String {
    let mut bytes = Vec::with_capacity(768);
    analysis.write_json_stored(&mut bytes);
    // write_json writes UTF-8 (JSON text of `String`s and numbers).
    without_nul_escapes(String::from_utf8(bytes).unwrap_or_default())
}

/// A post's routing columns, ready to bind.
pub(crate) struct RouteRow {
    pub(crate) queue: Arc<str>,
    pub(crate) priority: Arc<str>,
    pub(crate) tags: Arc<str>,
    pub(crate) sla_policy: Option<Arc<str>>,
    pub(crate) alerts: Arc<str>,
    pub(crate) matched_rules: Arc<str>,
}

impl RouteRow {
    pub(crate) fn new(route: &RouteDecision, shared: &mut SharedStrings) -> Result<RouteRow> {
        let queue = route.queue.trim();
        Ok(RouteRow {
            // Nothing is ever routed nowhere: an empty queue is the unrouted queue.
            queue: shared.get(if queue.is_empty() {
                UNROUTED_QUEUE
            } else {
                queue
            }),
            priority: shared.get(route.priority.as_str()),
            tags: shared.json_list(&route.tags)?,
            sla_policy: route.sla_policy.as_deref().map(|policy| shared.get(policy)),
            alerts: shared.json_list(&route.alerts)?,
            matched_rules: shared.json_list(&route.matched_rules)?,
        })
    }
}

/// Empty arguments of `tx`'s database with room for `values` values (the function names the
/// backend's argument type for code that is written once for both).
fn arguments_for<DB: sqlx::Database>(
    _tx: &sqlx::Transaction<'_, DB>,
    values: usize,
) -> DB::Arguments {
    let mut args = DB::Arguments::default();
    sqlx::Arguments::reserve(&mut args, values, 0);
    args
}

/// Why the store refuses an item, or `None` when it is acceptable.
fn rejection(post: &NewPost) -> Option<String> {
    if post.external_id.trim().is_empty() {
        return Some(
            "the external id is empty; every post needs the id its channel gave it".into(),
        );
    }
    if post.external_id.contains('\0') {
        return Some("the external id contains a NUL character".into());
    }
    None
}

impl Store {
    /// Stores a batch of analysed, routed posts and (optionally) the cursor of the connector that
    /// produced them, in ONE transaction: either everything is stored or nothing is, and the
    /// cursor never moves past posts that were not stored.
    ///
    /// Idempotent on `(channel, external_id)`: posts already stored, and repeats within the batch
    /// (the first occurrence wins), are reported as duplicates and left untouched. Items the store
    /// cannot accept (an empty external id) are reported as rejected; the rest are stored.
    /// Newly stored posts are added to the search index.
    pub async fn ingest(
        &self,
        items: &[IngestItem],
        cursor: Option<CursorUpdate>,
    ) -> Result<IngestOutcome> {
        let mut outcome = IngestOutcome::default();
        let mut first_seen: HashMap<(&'static str, &str), usize> =
            HashMap::with_capacity(items.len());
        let mut candidates: Vec<usize> = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            if let Some(reason) = rejection(&item.post) {
                outcome.rejected.push((index, reason));
                continue;
            }
            let key = (item.post.channel.as_str(), item.post.external_id.as_str());
            if first_seen.contains_key(&key) {
                outcome.duplicates.push(index);
                continue;
            }
            first_seen.insert(key, index);
            candidates.push(index);
        }
        if candidates.is_empty() && cursor.is_none() {
            return Ok(outcome);
        }

        let backend = self.inner.db.backend();
        let ingested_at = to_micros(Utc::now());
        let mut post_rows = Vec::with_capacity(candidates.len());
        let mut shared = SharedStrings::default();
        for &index in &candidates {
            let item = &items[index];
            let post = &item.post;
            let meta = if post.meta.is_null() {
                None
            } else {
                Some(json_text(&post.meta)?)
            };
            post_rows.push(PostRow {
                post,
                channel: shared.get(post.channel.as_str()),
                visibility: shared.get(post.visibility.as_str()),
                text: clean_text(&post.text),
                meta,
                analysis: AnalysisRow::new(&item.analysis, &mut shared),
                route: RouteRow::new(&item.route, &mut shared)?,
            });
        }

        let full_post_sql = insert_posts_sql(backend, ROWS_PER_STATEMENT);

        let index_order = self.inner.index_order.lock().await;
        let mut inserted: Vec<(usize, PostId)> = with_write_tx!(self.inner, |tx| {
            let mut inserted: Vec<(usize, PostId)> = Vec::with_capacity(candidates.len());
            let highest_before: Option<i64> = if backend == Backend::Sqlite {
                Some(
                    sqlx::query_scalar(HIGHEST_POST_ID)
                        .fetch_one(&mut *tx)
                        .await
                        .during("reading the highest post id")?,
                )
            } else {
                None
            };
            // Filled by PostgreSQL's RETURNING; SQLite's rows come in one value after the loop.
            let mut returned: Vec<(i64, String, String)> = Vec::new();
            // The rows are consumed: their owned strings (text, analysis JSON, labels, route)
            // move into the bound arguments instead of being copied (sqlx copies a `&str`).
            let mut rows = post_rows.into_iter();
            loop {
                let chunk: Vec<PostRow> = rows.by_ref().take(ROWS_PER_STATEMENT).collect();
                if chunk.is_empty() {
                    break;
                }
                let full = chunk.len() == ROWS_PER_STATEMENT;
                let sql = if full {
                    full_post_sql.clone()
                } else {
                    insert_posts_sql(backend, chunk.len())
                };
                // The arguments are built up front with room for every value: binding through
                // `Query::bind` moved the query on each of the 17,500 binds and grew its
                // argument vector by doubling (fresh memory at each step).
                let mut args = arguments_for(&tx, chunk.len() * POST_COLUMNS);
                macro_rules! add {
                    ($($value:expr),* $(,)?) => {
                        $(
                            sqlx::Arguments::add(&mut args, $value).map_err(|error| {
                                StoreError::Invalid(format!("a post value cannot be bound: {error}"))
                            })?;
                        )*
                    };
                }
                for row in chunk {
                    let post = row.post;
                    let analysis = row.analysis;
                    let route = row.route;
                    add!(
                        row.channel,
                        post.external_id.as_str(),
                        post.thread_id.as_deref().map(clean_text),
                        post.parent_id.as_deref().map(clean_text),
                        clean_text(post.author.handle.trim_start_matches('@')),
                        post.author.display_name.as_deref().map(clean_text),
                        post.author.followers.map(count_to_i64),
                        post.author.verified,
                        row.text,
                        post.language.as_deref().map(clean_text),
                        to_micros(post.created_at),
                        ingested_at,
                        row.visibility,
                        post.permalink.as_deref().map(clean_text),
                        count_to_i64(post.engagement.likes),
                        count_to_i64(post.engagement.shares),
                        count_to_i64(post.engagement.replies),
                        post.engagement.views.map(count_to_i64),
                        row.meta,
                        analysis.language,
                        analysis.sentiment,
                        analysis.compound,
                        analysis.complaint,
                        analysis.intent,
                        analysis.reason,
                        analysis.urgency,
                        analysis.toxicity,
                        analysis.json,
                        route.queue,
                        route.priority,
                        route.tags,
                        route.sla_policy,
                        route.alerts,
                        route.matched_rules,
                        ingested_at,
                    );
                }
                let query = sqlx::query_as_with::<_, (i64, String, String), _>(
                    sqlx::AssertSqlSafe(sql),
                    args,
                )
                .persistent(full);
                returned.extend(query.fetch_all(&mut *tx).await.during("inserting posts")?);
            }
            if let Some(highest_before) = highest_before {
                let json: String = sqlx::query_scalar(SQLITE_INSERTED_SINCE)
                    .bind(highest_before)
                    .fetch_one(&mut *tx)
                    .await
                    .during("reading the ids of the inserted posts")?;
                returned = parse_inserted(&json, candidates.len()).map_err(|error| {
                    StoreError::Corrupt(format!("the inserted posts' ids: {error}"))
                })?;
            }
            for (id, channel, external_id) in returned {
                let Some(&index) =
                    first_seen.get(&(channel_static(&channel), external_id.as_str()))
                else {
                    return Err(StoreError::Corrupt(format!(
                        "the database returned post ({channel}, {external_id}) that was not in the batch"
                    )));
                };
                inserted.push((index, id));
            }

            if let Some(cursor) = &cursor {
                sqlx::query(
                    "INSERT INTO connector_cursors (source, cursor, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
                )
                .bind(clean_text(&cursor.source))
                .bind(clean_text(&cursor.cursor))
                .bind(ingested_at)
                .execute(&mut *tx)
                .await
                .during("saving the connector cursor")?;
            }
            inserted
        });

        inserted.sort_unstable();
        let mut stored = vec![false; items.len()];
        for &(index, _) in &inserted {
            stored[index] = true;
        }
        for &index in &candidates {
            if !stored[index] {
                outcome.duplicates.push(index);
            }
        }
        outcome.duplicates.sort_unstable();

        if !inserted.is_empty() {
            let posts = inserted
                .iter()
                .map(|&(index, id)| (id, &items[index].post, &items[index].analysis));
            if let Err(error) = self.inner.search.add_new(posts) {
                // The database is the source of truth: the index catches up on the next open.
                tracing::error!(%error, "indexing newly stored posts failed; they will be indexed on the next start");
            }
            drop(index_order);
            self.maybe_commit_index().await;
        }
        outcome.inserted = inserted;
        Ok(outcome)
    }

    /// The saved cursor of a connector, if it ever saved one.
    pub async fn get_cursor(&self, source: &str) -> Result<Option<String>> {
        with_pool!(&self.inner.db, |pool| {
            sqlx::query_scalar::<_, String>(
                "SELECT cursor FROM connector_cursors WHERE source = $1",
            )
            .bind(source)
            .fetch_optional(pool)
            .await
            .during("reading a connector cursor")
        })
    }

    /// Every saved connector cursor with when it last moved (for the connector status view).
    pub async fn cursors(&self) -> Result<Vec<CursorState>> {
        let rows: Vec<(String, String, i64)> = with_pool!(&self.inner.db, |pool| {
            sqlx::query_as(
                "SELECT source, cursor, updated_at FROM connector_cursors ORDER BY source",
            )
            .fetch_all(pool)
            .await
            .during("listing connector cursors")
        })?;
        rows.into_iter()
            .map(|(source, cursor, updated_at)| {
                Ok(CursorState {
                    source,
                    cursor,
                    updated_at: from_micros(updated_at)?,
                })
            })
            .collect()
    }

    /// Replaces the routing decision of a stored post (e.g. after rules changed and an agent
    /// re-routed it).
    pub async fn update_route(&self, post_id: PostId, route: &RouteDecision) -> Result<()> {
        let row = RouteRow::new(route, &mut SharedStrings::default())?;
        let backend = self.inner.db.backend();
        let sql = format!(
            "UPDATE posts SET queue = {}, priority = {}, tags = {}, sla_policy = {}, \
             alerts = {}, matched_rules = {}, routed_at = {} WHERE id = {}",
            backend.placeholder(1),
            backend.placeholder(2),
            backend.json_placeholder(3),
            backend.placeholder(4),
            backend.json_placeholder(5),
            backend.json_placeholder(6),
            backend.placeholder(7),
            backend.placeholder(8)
        );
        let now = to_micros(Utc::now());
        let updated = with_write_tx!(self.inner, |tx| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&*row.queue)
                .bind(&*row.priority)
                .bind(&*row.tags)
                .bind(row.sla_policy.as_deref())
                .bind(&*row.alerts)
                .bind(&*row.matched_rules)
                .bind(now)
                .bind(post_id)
                .execute(&mut *tx)
                .await
                .during("updating a route")?
                .rows_affected()
        });
        if updated == 0 {
            return Err(StoreError::PostNotFound(post_id));
        }
        Ok(())
    }
}

/// Parses [`SQLITE_INSERTED_SINCE`]'s `[[id, channel, external_id], …]` into a vector sized for
/// the whole batch up front (growing it row by row showed up in import profiles).
fn parse_inserted(json: &str, expected: usize) -> serde_json::Result<Vec<(i64, String, String)>> {
    use serde::de::{DeserializeSeed, SeqAccess, Visitor};
    struct Rows(usize);
    impl<'de> Visitor<'de> for Rows {
        type Value = Vec<(i64, String, String)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of [id, channel, external_id]")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut rows = Vec::with_capacity(self.0);
            while let Some(row) = seq.next_element()? {
                rows.push(row);
            }
            Ok(rows)
        }
    }
    impl<'de> DeserializeSeed<'de> for Rows {
        type Value = Vec<(i64, String, String)>;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let rows = Rows(expected).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(rows)
}

/// The `&'static str` of a channel name returned by the database (for map lookups).
fn channel_static(name: &str) -> &'static str {
    name.parse::<switchyard_domain::Channel>()
        .map(|channel| channel.as_str())
        .unwrap_or("")
}

fn insert_posts_sql(backend: Backend, rows: usize) -> String {
    let head = match backend {
        Backend::Sqlite => SQLITE_INSERT_VERB,
        Backend::Postgres => "INSERT INTO",
    };
    format!(
        "{head} {POST_INSERT_HEAD}{}{POST_INSERT_CONFLICT}{}",
        values_sql(backend, rows, POST_COLUMNS, POST_JSON_COLUMNS),
        match backend {
            Backend::Sqlite => "",
            Backend::Postgres => POST_INSERT_RETURNING,
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_strings_hand_out_one_copy_of_each_text() {
        let mut shared = SharedStrings::default();
        let first = shared.get("support");
        let second = shared.get("support");
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(&*shared.get("a\0b"), "a\u{FFFD}b");
        // The JSON of a list is what json_text writes, the empty list without serialising.
        assert_eq!(
            &*shared.json_list(&[]).unwrap(),
            json_text(&Vec::<String>::new()).unwrap()
        );
        let tags = vec!["vip".to_string(), "say \"hi\"\0".to_string()];
        assert_eq!(
            &*shared.json_list(&tags).unwrap(),
            json_text(&tags).unwrap()
        );
        assert!(Arc::ptr_eq(
            &shared.json_list(&tags).unwrap(),
            &shared.json_list(&tags).unwrap()
        ));
    }
}
