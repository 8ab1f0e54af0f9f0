//! Full-text search over stored posts with the listening-query language.

use crate::api::posts::parse_query;
use crate::api::views::PostView;
use crate::auth::Actor;
use crate::openapi::{Access, ApiDoc};
use crate::{ApiError, ApiResult, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/search", get(search))
}

pub fn describe(doc: &mut ApiDoc) {
    doc.op("get", "/api/v1/search", "posts", Access::Read,
        "Search stored posts with a listening query (AND/OR/NOT, phrases, NEAR/n, wildcards, field filters). Syntax errors return invalid_query with the position.")
        .query("q", "the listening query")
        .query("limit", "results per page, 1–200 (default 50)")
        .query("offset", "results to skip")
        .returns("SearchResult");
    doc.schema(
        "SearchResult",
        json!({"type": "object", "properties": {"total": {"type": "integer"},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Post"}}}}),
    );
}

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

async fn search(
    State(state): State<AppState>,
    actor: Actor,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let Query(params) = params?;
    let text = params
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "q is required: a listening query such as \"lost luggage\" OR delay*",
            )
        })?;
    let query = parse_query(text)?;
    let limit = params.limit.unwrap_or(50).clamp(1, 200);
    let hits = state
        .store
        .search_hits(&query.expr, limit, params.offset.unwrap_or(0))
        .await
        .map_err(|error| ApiError::internal("searching posts", error))?;
    let items: Vec<PostView> = state
        .store
        .get_posts(&hits.ids)
        .await
        .map_err(|error| ApiError::internal("reading search results", error))?
        .into_iter()
        .filter(|stored| actor.can_see_queue(&stored.route.queue))
        .map(PostView::from)
        .collect();
    Ok(Json(json!({"total": hits.total, "items": items})))
}
