//! Posts: batch ingest (the same path as `switchyard import`), listing with filters and keyset
//! paging, one post, and agents' corrections of its labels.

use crate::api::views::{PostView, parse_time};
use crate::auth::Actor;
use crate::openapi::{Access, ApiDoc};
use crate::{ApiError, ApiResult, AppState, ErrorCode};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use switchyard_domain::{Channel, NewPost, PostId};
use switchyard_store::PostFilter;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/posts", get(list).post(ingest))
        .route("/api/v1/posts/{id}", get(one))
        .route("/api/v1/posts/{id}/corrections", post(correct))
}

pub fn describe(doc: &mut ApiDoc) {
    doc.op("post", "/api/v1/posts", "posts", Access::Write,
        "Ingest a batch of posts: analysed, routed, stored and indexed like an import. Idempotent on (channel, external_id).")
        .body("IngestRequest")
        .returns("IngestResponse");
    doc.op(
        "get",
        "/api/v1/posts",
        "posts",
        Access::Read,
        "List posts, newest first, with filters and keyset paging.",
    )
    .query("q", "listening query (see docs/queries.md)")
    .query("channel", "x, mastodon, bluesky, facebook, …")
    .query("queue", "team queue, e.g. support or unrouted")
    .query("sentiment", "positive, neutral or negative")
    .query("intent", "intent label")
    .query("language", "ISO 639-1 code")
    .query("author", "author handle")
    .query("since", "RFC 3339 time or YYYY-MM-DD")
    .query("until", "RFC 3339 time or YYYY-MM-DD")
    .query("limit", "page size, 1–1000 (default 50)")
    .query("before", "keyset cursor: the previous page's next_before")
    .returns("PostPage");
    doc.op(
        "get",
        "/api/v1/posts/{id}",
        "posts",
        Access::Read,
        "One post with its analysis, route and corrections.",
    )
    .returns("Post");
    doc.op("post", "/api/v1/posts/{id}/corrections", "posts", Access::Write,
        "Correct one of a post's labels; kept with who and when, shown on the post, folded into the next `switchyard train --with-corrections`.")
        .body("CorrectionRequest")
        .returns("Post");
    doc.schema("NewPost", json!({"type": "object", "required": ["channel", "external_id", "author", "text", "created_at"],
        "description": "The canonical post format; see docs/import.md.",
        "properties": {"channel": {"type": "string"}, "external_id": {"type": "string"}, "thread_id": {"type": "string"},
            "parent_id": {"type": "string"}, "author": {"type": "object", "required": ["handle"], "properties": {
                "handle": {"type": "string"}, "display_name": {"type": "string"}, "followers": {"type": "integer"}, "verified": {"type": "boolean"}}},
            "text": {"type": "string"}, "language": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
            "visibility": {"type": "string", "enum": ["public", "private"]}, "permalink": {"type": "string"},
            "engagement": {"type": "object", "properties": {"likes": {"type": "integer"}, "shares": {"type": "integer"},
                "replies": {"type": "integer"}, "views": {"type": "integer"}}}, "meta": {}}}));
    doc.schema(
        "IngestRequest",
        json!({"type": "object", "required": ["posts"], "properties": {
        "posts": {"type": "array", "items": {"$ref": "#/components/schemas/NewPost"}}}}),
    );
    doc.schema("IngestResponse", json!({"type": "object", "properties": {
        "received": {"type": "integer"}, "new": {"type": "integer"}, "duplicate": {"type": "integer"},
        "own_reply": {"type": "integer"}, "ids": {"type": "array", "items": {"type": "integer"}},
        "rejected": {"type": "array", "items": {"type": "object", "properties": {"index": {"type": "integer"}, "reason": {"type": "string"}}}}}}));
    doc.schema("Post", json!({"type": "object", "description": "A NewPost plus id, ingested_at, analysis, route and corrections.",
        "allOf": [{"$ref": "#/components/schemas/NewPost"}], "properties": {"id": {"type": "integer"},
        "ingested_at": {"type": "string", "format": "date-time"}, "analysis": {"type": "object"}, "route": {"type": "object"},
        "corrections": {"type": "array", "items": {"type": "object"}}}}));
    doc.schema("PostPage", json!({"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Post"}},
        "next_before": {"type": ["integer", "null"]}}}));
    doc.schema("CorrectionRequest", json!({"type": "object", "required": ["task", "label"], "properties": {
        "task": {"type": "string", "enum": ["sentiment", "complaint", "intent", "reason", "urgency", "toxicity", "language"]},
        "label": {"type": "string"}}}));
}

/// `POST /api/v1/posts` body: `{"posts": [...]}` or a bare array.
#[derive(Deserialize)]
#[serde(untagged)]
enum IngestRequest {
    Wrapped { posts: Vec<Value> },
    Bare(Vec<Value>),
}

#[derive(Serialize)]
struct Rejected {
    index: usize,
    reason: String,
}

async fn ingest(
    State(state): State<AppState>,
    actor: Actor,
    body: Result<Json<IngestRequest>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    actor.require_write()?;
    let Json(request) = body?;
    let raw = match request {
        IngestRequest::Wrapped { posts } | IngestRequest::Bare(posts) => posts,
    };
    let received = raw.len();
    let mut rejected = Vec::new();
    let mut posts = Vec::with_capacity(raw.len());
    let mut batch_index = Vec::with_capacity(raw.len());
    for (index, value) in raw.into_iter().enumerate() {
        match serde_json::from_value::<NewPost>(value) {
            Ok(post) if post.external_id.trim().is_empty() => rejected.push(Rejected {
                index,
                reason: "external_id is empty; give each post its channel's id".into(),
            }),
            Ok(post) => {
                posts.push(post);
                batch_index.push(index);
            }
            Err(error) => rejected.push(Rejected {
                index,
                reason: format!("not a valid post: {error}"),
            }),
        }
    }
    let outcome = state
        .pipeline
        .ingest(posts, None)
        .await
        .map_err(|error| ApiError::internal("ingesting the batch", error))?;
    for (index, reason) in &outcome.rejected {
        rejected.push(Rejected {
            index: batch_index[*index],
            reason: reason.clone(),
        });
    }
    rejected.sort_by_key(|r| r.index);
    Ok(Json(json!({
        "received": received,
        "new": outcome.inserted.len(),
        "duplicate": outcome.duplicates.len(),
        "own_reply": outcome.own_replies,
        "ids": outcome.inserted.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
        "rejected": rejected,
    })))
}

/// Query parameters of `GET /api/v1/posts`.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    pub q: Option<String>,
    pub channel: Option<String>,
    pub queue: Option<String>,
    pub sentiment: Option<String>,
    pub intent: Option<String>,
    pub language: Option<String>,
    pub author: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: Option<u32>,
    pub before: Option<PostId>,
}

impl ListParams {
    /// The store filter these parameters describe.
    pub fn filter(&self) -> ApiResult<PostFilter> {
        let channel = match self.channel.as_deref().filter(|c| !c.is_empty()) {
            Some(name) => Some(
                name.parse::<Channel>()
                    .map_err(|error| ApiError::bad_request(error.to_string()))?,
            ),
            None => None,
        };
        let some = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
        Ok(PostFilter {
            channel,
            queue: some(&self.queue),
            sentiment: some(&self.sentiment),
            intent: some(&self.intent),
            language: some(&self.language),
            author: some(&self.author),
            since: parse_time("since", self.since.as_deref())?,
            until: parse_time("until", self.until.as_deref())?,
            ids: None,
            limit: self.limit,
            before_id: self.before,
        })
    }
}

/// Parses a listening query, mapping its positioned error to `invalid_query`.
pub fn parse_query(text: &str) -> ApiResult<switchyard_query::Query> {
    switchyard_query::parse(text)
        .map_err(|error| ApiError::new(ErrorCode::InvalidQuery, error.to_string()))
}

async fn list(
    State(state): State<AppState>,
    actor: Actor,
    params: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let Query(params) = params?;
    let mut filter = params.filter()?;
    if let Some(queue) = &filter.queue
        && !actor.can_see_queue(queue)
    {
        return Err(ApiError::forbidden(format!(
            "you are not on the team of queue {queue:?}"
        )));
    }
    if let Some(text) = params.q.as_deref().filter(|q| !q.trim().is_empty()) {
        let query = parse_query(text)?;
        // The newest matches (search results come newest first); other filters and keyset
        // paging then apply to them.
        let hits = state
            .store
            .search_hits(&query.expr, PostFilter::MAX_IDS, 0)
            .await
            .map_err(|error| ApiError::internal("searching posts", error))?;
        let mut ids: Vec<PostId> = hits.ids;
        if let Some(before) = filter.before_id {
            ids.retain(|id| *id < before);
        }
        filter.ids = Some(ids);
    }
    let page = state
        .store
        .list_posts(&filter)
        .await
        .map_err(|error| ApiError::internal("listing posts", error))?;
    let items: Vec<PostView> = page
        .items
        .into_iter()
        .filter(|p| actor.can_see_queue(&p.route.queue))
        .map(PostView::from)
        .collect();
    Ok(Json(
        json!({"items": items, "next_before": page.next_before_id}),
    ))
}

async fn one(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<PostId>,
) -> ApiResult<Json<PostView>> {
    actor.require_read()?;
    let stored = state
        .store
        .get_post(id)
        .await
        .map_err(|error| ApiError::internal("reading the post", error))?
        .ok_or_else(|| ApiError::not_found(format!("no post with id {id}")))?;
    if !actor.can_see_queue(&stored.route.queue) {
        return Err(ApiError::forbidden(format!(
            "post {id} is in queue {:?}, which is not one of your teams'",
            stored.route.queue
        )));
    }
    Ok(Json(PostView::from(stored)))
}

#[derive(Deserialize)]
struct CorrectionRequest {
    task: String,
    label: String,
}

const TASKS: [&str; 7] = [
    "sentiment",
    "complaint",
    "intent",
    "reason",
    "urgency",
    "toxicity",
    "language",
];

async fn correct(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<PostId>,
    body: Result<Json<CorrectionRequest>, JsonRejection>,
) -> ApiResult<Json<PostView>> {
    actor.require_write()?;
    let Json(request) = body?;
    if !TASKS.contains(&request.task.as_str()) {
        return Err(ApiError::bad_request(format!(
            "unknown task {:?}; expected one of {}",
            request.task,
            TASKS.join(", ")
        )));
    }
    let label = request.label.trim();
    if label.is_empty() || label.len() > 64 {
        return Err(ApiError::bad_request(
            "label must be 1 to 64 characters, e.g. negative or complaint",
        ));
    }
    let existing = state
        .store
        .get_post(id)
        .await
        .map_err(|error| ApiError::internal("reading the post", error))?
        .ok_or_else(|| ApiError::not_found(format!("no post with id {id}")))?;
    if !actor.can_see_queue(&existing.route.queue) {
        return Err(ApiError::forbidden(format!(
            "post {id} is not in one of your teams' queues"
        )));
    }
    state
        .store
        .add_correction(id, &request.task, label, &actor.name)
        .await
        .map_err(|error| ApiError::internal("saving the correction", error))?;
    let stored = state
        .store
        .get_post(id)
        .await
        .map_err(|error| ApiError::internal("reading the post", error))?
        .ok_or_else(|| ApiError::not_found(format!("no post with id {id}")))?;
    Ok(Json(PostView::from(stored)))
}
