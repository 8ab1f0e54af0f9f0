//! Switchyard's HTTP server: the JSON API under `/api/v1`, the live stream (SSE), the OpenAPI
//! document, Prometheus metrics, health, and the embedded web command center.
//!
//! `app(state)` builds the whole router so tests can drive it without a socket;
//! `run(listener, app, shutdown)` serves it until `shutdown` resolves.

pub mod analytics;
pub mod api;
pub mod auth;
pub mod crm;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod web;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use switchyard_pipeline::Pipeline;
use switchyard_store::Store;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub use auth::{Actor, Authenticator, Role, StaticTokens};
pub use error::{ApiError, ApiResult, ErrorCode};

/// Everything a request handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Posts, analysis, routes, cursors, corrections and the search index.
    pub store: Store,
    /// Analyse → route → store → index → broadcast; also the live-stream source.
    pub pipeline: Arc<Pipeline>,
    /// Saved listening queries by name (from the configuration).
    pub saved_queries: Arc<BTreeMap<String, String>>,
    /// Who is asking: turns credentials into an [`Actor`].
    pub auth: Arc<dyn Authenticator>,
    /// The social CRM; its routes are served when set (see [`crm::router`]).
    pub crm: Option<switchyard_crm::Crm>,
    /// Renders Prometheus metrics for `/metrics`.
    pub metrics: metrics::Metrics,
    /// When this server started (reported by `/health`).
    pub started_at: Instant,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// The live connectors' status view (last success, lag, errors) for `/api/v1/connectors`.
    pub connector_status: Arc<dyn Fn() -> serde_json::Value + Send + Sync>,
}

impl AppState {
    pub fn new(auth: Arc<dyn Authenticator>, store: Store, pipeline: Arc<Pipeline>) -> Self {
        AppState {
            store,
            pipeline,
            saved_queries: Arc::new(BTreeMap::new()),
            auth,
            crm: None,
            metrics: metrics::Metrics::global(),
            started_at: Instant::now(),
            max_body_bytes: 16 * 1024 * 1024,
            connector_status: Arc::new(|| serde_json::json!([])),
        }
    }
}

/// The whole application router.
pub fn app(state: AppState) -> Router {
    app_with(state, Router::new())
}

/// The application router plus `extra` routes that carry their own state (e.g. the connectors'
/// webhook receiver under `/hooks`).
pub fn app_with(state: AppState, extra: Router) -> Router {
    let max_body = state.max_body_bytes;
    let crm_routes = match &state.crm {
        Some(crm) => crm::router(crm::CrmHttp {
            crm: crm.clone(),
            auth: Some(state.auth.clone()),
        }),
        None => Router::new(),
    };
    Router::new()
        .merge(api::routes())
        .merge(crm_routes)
        .merge(analytics::routes())
        .merge(web::routes())
        .with_state(state)
        .merge(extra)
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(TraceLayer::new_for_http())
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains in-flight requests.
pub async fn run(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
