//! The JSON API: one module per resource, merged into one router here, each describing its
//! operations for the OpenAPI document.

pub mod health;
pub mod listening;
pub mod live;
pub mod posts;
pub mod search;
pub mod stats;
pub mod views;

use crate::AppState;
use crate::openapi::ApiDoc;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use std::sync::OnceLock;

/// Every API route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(health::routes())
        .merge(posts::routes())
        .merge(search::routes())
        .merge(stats::routes())
        .merge(live::routes())
        .merge(listening::routes())
        .route("/api/v1/openapi.json", get(openapi_json))
}

/// The API description, built once.
pub fn document() -> &'static ApiDoc {
    static DOC: OnceLock<ApiDoc> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = ApiDoc::default();
        health::describe(&mut doc);
        crate::crm::describe(&mut doc);
        posts::describe(&mut doc);
        search::describe(&mut doc);
        stats::describe(&mut doc);
        live::describe(&mut doc);
        listening::describe(&mut doc);
        crate::analytics::describe(&mut doc);
        doc.op(
            "get",
            "/api/v1/openapi.json",
            "meta",
            crate::openapi::Access::Public,
            "This document.",
        );
        doc
    })
}

async fn openapi_json() -> Json<Value> {
    Json(document().to_json())
}
