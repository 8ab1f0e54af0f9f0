//! `switchyard serve`: opens the store, builds the pipeline, starts connectors and background
//! workers, and serves the API, live stream and web command center until Ctrl-C.

use crate::config::{Config, resolve_secret};
use anyhow::{Context, Result, bail};
use std::sync::Arc;
use switchyard_pipeline::Pipeline;
use switchyard_pipeline::route::RuleSet;
use switchyard_server::{Actor, AppState, Role, StaticTokens};
use switchyard_store::Store;
use tokio::net::TcpListener;

/// The routing rules shipped with Switchyard, used when the configuration names no rules file.
pub const DEFAULT_RULES: &str = include_str!("../../../../config/rules.toml");

/// Loads the configured rules file, or the shipped default rules.
pub fn load_rules(config: &Config) -> Result<RuleSet> {
    match &config.rules {
        Some(path) => RuleSet::from_file(path)
            .with_context(|| format!("loading routing rules from {}", path.display())),
        None => RuleSet::from_toml_str(DEFAULT_RULES, "config/rules.toml (built in)")
            .context("loading the built-in routing rules"),
    }
}

/// Opens the configured store.
pub async fn open_store(config: &Config) -> Result<Store> {
    let location = config.database();
    Store::open(&location)
        .await
        .with_context(|| format!("opening the store at {location}"))
}

/// Everything a running server holds.
pub struct Runtime {
    pub store: Store,
    pub pipeline: Arc<Pipeline>,
    pub state: AppState,
}

/// Builds store, pipeline and server state from the configuration.
pub async fn build(config: &Config) -> Result<Runtime> {
    let store = open_store(config).await?;
    let rules = load_rules(config)?;
    let analyzer = Arc::new(switchyard_analyze::Analyzer::new());
    let pipeline = Arc::new(Pipeline::new(analyzer, rules, store.clone()));
    let mut tokens = StaticTokens::new();
    for entry in &config.server.api_tokens {
        let role = match entry.role.as_str() {
            "admin" => Role::Admin,
            "lead" => Role::Lead,
            "agent" => Role::Agent,
            "analyst" => Role::Analyst,
            other => bail!(
                "[[server.api_tokens]] {:?} has role {other:?}; expected admin, lead, agent or analyst",
                entry.name
            ),
        };
        let secret = resolve_secret(&entry.token)
            .with_context(|| format!("resolving the token of API token {:?}", entry.name))?;
        tokens = tokens.with(
            secret,
            Actor {
                user_id: 0,
                name: entry.name.clone(),
                role,
                teams: entry.teams.clone(),
            },
        );
    }
    let mut state = AppState::new(Arc::new(tokens), store.clone(), pipeline.clone());
    state.max_body_bytes = config.server.max_body_bytes;
    state.saved_queries = Arc::new(config.queries.clone());
    Ok(Runtime {
        store,
        pipeline,
        state,
    })
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Binds the listen address and serves until shutdown.
pub async fn serve(config: &Config, runtime: Runtime) -> Result<()> {
    let listener = TcpListener::bind(config.listen).await.with_context(|| {
        format!(
            "cannot listen on {}; is another server running there? Set listen = \"127.0.0.1:PORT\" or SWITCHYARD_LISTEN",
            config.listen
        )
    })?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "Switchyard is listening");
    println!("Switchyard is running at http://{address}/  (Ctrl-C stops it)");
    let app = switchyard_server::app(runtime.state.clone());
    switchyard_server::run(listener, app, shutdown_signal())
        .await
        .context("serving HTTP")?;
    runtime.store.close().await.context("closing the store")?;
    Ok(())
}
