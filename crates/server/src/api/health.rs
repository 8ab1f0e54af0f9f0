//! `/health` (public, for load balancers: says only whether the server is up) and `/metrics`
//! (Prometheus text format; needs any signed-in caller).

use crate::auth::Actor;
use crate::{ApiResult, AppState};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/api/v1/connectors", get(connectors))
}

async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": state.started_at.elapsed().as_secs(),
    }))
}

async fn metrics(State(state): State<AppState>, actor: Actor) -> ApiResult<impl IntoResponse> {
    actor.require_read()?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    ))
}

pub fn describe(doc: &mut crate::openapi::ApiDoc) {
    use crate::openapi::Access;
    doc.op(
        "get",
        "/health",
        "meta",
        Access::Public,
        "Whether the server is up (status, version, uptime).",
    );
    doc.op(
        "get",
        "/metrics",
        "meta",
        Access::Read,
        "Prometheus metrics in the text exposition format.",
    );
}

/// `GET /api/v1/connectors`: each live connector's state, last success, lag, errors.
pub async fn connectors(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    Ok(Json(json!({"connectors": (state.connector_status)()})))
}
