//! Counts for dashboards: totals by channel/sentiment/queue, queues with their oldest waiting
//! post, and hourly/daily volume and sentiment.

use crate::api::posts::ListParams;
use crate::auth::Actor;
use crate::openapi::{Access, ApiDoc};
use crate::{ApiError, ApiResult, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use switchyard_store::Bucket;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/stats", get(stats))
        .route("/api/v1/queues", get(queues))
        .route("/api/v1/analytics/volume", get(volume))
}

pub fn describe(doc: &mut ApiDoc) {
    doc.op(
        "get",
        "/api/v1/stats",
        "analytics",
        Access::Read,
        "Total posts and counts by channel, sentiment and queue.",
    )
    .returns("Stats");
    doc.op(
        "get",
        "/api/v1/queues",
        "queues",
        Access::Read,
        "Every queue with its post count, urgent/high counts and oldest waiting post.",
    )
    .returns("Queues");
    doc.op(
        "get",
        "/api/v1/analytics/volume",
        "analytics",
        Access::Read,
        "Post volume and sentiment per hour or day.",
    )
    .query("bucket", "hour or day (default hour)")
    .query(
        "since",
        "RFC 3339 time or YYYY-MM-DD (default: 48 hours or 30 days back)",
    )
    .query("until", "RFC 3339 time or YYYY-MM-DD (default: now)")
    .query("channel", "only this channel")
    .query("queue", "only this queue")
    .query("sentiment", "only this sentiment")
    .returns("Volume");
    doc.schema("Stats", json!({"type": "object", "required": ["posts"], "properties": {"posts": {"type": "integer"},
        "by_channel": {"type": "object"}, "by_sentiment": {"type": "object"}, "by_queue": {"type": "object"}}}));
    doc.schema("Queues", json!({"type": "object", "properties": {"queues": {"type": "array", "items": {"type": "object", "properties": {
        "queue": {"type": "string"}, "count": {"type": "integer"}, "urgent": {"type": "integer"}, "high": {"type": "integer"},
        "oldest_created_at": {"type": ["string", "null"], "format": "date-time"}}}}}}));
    doc.schema("Volume", json!({"type": "object", "properties": {"bucket": {"type": "string"}, "points": {"type": "array", "items": {"type": "object", "properties": {
        "start": {"type": "string", "format": "date-time"}, "total": {"type": "integer"}, "positive": {"type": "integer"},
        "neutral": {"type": "integer"}, "negative": {"type": "integer"}, "avg_compound": {"type": ["number", "null"]}}}}}}));
}

async fn stats(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let stats = state
        .store
        .stats()
        .await
        .map_err(|error| ApiError::internal("counting posts", error))?;
    Ok(Json(
        serde_json::to_value(stats).map_err(|e| ApiError::internal("encoding stats", e))?,
    ))
}

async fn queues(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let queues = state
        .store
        .queue_counts()
        .await
        .map_err(|error| ApiError::internal("counting queues", error))?;
    let visible: Vec<_> = queues
        .into_iter()
        .filter(|queue| actor.can_see_queue(&queue.queue))
        .collect();
    Ok(Json(json!({"queues": visible})))
}

#[derive(Deserialize)]
struct VolumeParams {
    bucket: Option<String>,
    #[serde(flatten)]
    list: ListParams,
}

async fn volume(
    State(state): State<AppState>,
    actor: Actor,
    params: Result<Query<VolumeParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let Query(params) = params?;
    let bucket: Bucket = params
        .bucket
        .as_deref()
        .unwrap_or("hour")
        .parse()
        .map_err(ApiError::bad_request)?;
    let filter = params.list.filter()?;
    let until = filter.until.unwrap_or_else(chrono::Utc::now);
    let since = filter.since.unwrap_or_else(|| match bucket {
        Bucket::Hour => until - chrono::Duration::hours(48),
        Bucket::Day => until - chrono::Duration::days(30),
    });
    let span_buckets = (until - since).num_microseconds().unwrap_or(i64::MAX) / bucket.micros();
    if span_buckets > 5_000 {
        return Err(ApiError::bad_request(format!(
            "that range has {span_buckets} {bucket:?} buckets; ask for at most 5000 (use bucket=day or a shorter range)"
        )));
    }
    let points = state
        .store
        .volume(bucket, Some(since), Some(until), &filter)
        .await
        .map_err(|error| ApiError::internal("computing volume", error))?;
    Ok(Json(json!({"bucket": bucket, "points": points})))
}
