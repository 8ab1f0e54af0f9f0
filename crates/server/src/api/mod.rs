//! The JSON API: one module per resource, merged into one router here.

pub mod health;

use crate::AppState;
use axum::Router;

/// Every API route.
pub fn routes() -> Router<AppState> {
    Router::new().merge(health::routes())
}
