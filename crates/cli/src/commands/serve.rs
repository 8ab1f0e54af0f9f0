//! `switchyard serve`: opens the store, builds the pipeline, starts connectors and background
//! workers, and serves the API, live stream and web command center until Ctrl-C.

use crate::config::{Config, resolve_secret};
use crate::wiring::{DemoDelivery, PipelineSink};
use anyhow::{Context, Result, bail};
use std::sync::Arc;
use std::time::Duration;
use switchyard_connectors::{SentLedger, StatusRegistry, WebhookState, webhook_router};
use switchyard_crm::integration::ConnectorSenders;
use switchyard_crm::{Crm, DbPool};
use switchyard_pipeline::Pipeline;
use switchyard_pipeline::route::RuleSet;
use switchyard_server::auth::AuthFuture;
use switchyard_server::crm::CrmAuthenticator;
use switchyard_server::{Actor, AppState, Authenticator, Role, StaticTokens};
use switchyard_store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

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
    /// Routes with their own state (the connectors' webhook receiver under `/hooks`).
    pub extra_routes: axum::Router,
    /// Cancels connectors and background workers.
    pub shutdown: CancellationToken,
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Which mode the server runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Serve,
    /// Replies on channels without a configured connector are "delivered" to a local log.
    Demo,
}

/// Whether newly stored posts open or join CRM cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cases {
    /// Live traffic: routing opens and joins cases.
    Open,
    /// Historical backfill: posts are stored, analysed, routed and searchable, but open no cases.
    Skip,
}

/// Builds the stores, pipeline and CRM (used by every command that ingests). Only `serve` and
/// `demo` ([`build`]) start the CRM's serving side: the first admin and interrupted deliveries.
pub async fn build_core(config: &Config, cases: Cases) -> Result<(Store, Arc<Pipeline>, Crm)> {
    let store = open_store(config).await?;
    let rules = load_rules(config)?;
    let analyzer = Arc::new(switchyard_analyze::Analyzer::new());
    let pipeline = Arc::new(Pipeline::new(analyzer, rules, store.clone()));
    let db = DbPool::from(store.db());
    let crm = Crm::new(db, &config.crm).context("checking the [crm] configuration")?;
    crm.attach().await.context("starting the CRM")?;
    // Every queue a rule routes to is a team that can own cases.
    let queues: std::collections::BTreeSet<String> = pipeline
        .rules()
        .rules()
        .iter()
        .filter_map(|rule| rule.actions.queue.clone())
        .collect();
    for queue in &queues {
        switchyard_crm::people::ensure_team(crm.db(), queue, crm.now())
            .await
            .with_context(|| format!("creating the team for queue {queue:?}"))?;
    }
    // Routing opens or joins cases; our own delivered replies are never ingested as new posts.
    if cases == Cases::Open {
        pipeline.add_hook(Arc::new(crm.post_hook()));
    }
    pipeline.set_own_replies(Arc::new(crm.own_reply_checker()));
    Ok((store, pipeline, crm))
}

/// Builds everything `serve` and `demo` run: core, connectors, outbox and SLA workers, state.
pub async fn build(config: &Config, mode: Mode) -> Result<Runtime> {
    let (store, pipeline, crm) = build_core(config, Cases::Open).await?;
    if let Some(admin) = crm.start_serving().await.context("starting the CRM")? {
        match admin.generated_password {
            Some(password) => say!(
                "First start: created the admin user {:?} with password {password}\n  (shown only this once; change it after signing in)",
                admin.username
            ),
            None => say!(
                "First start: created the admin user {:?} with the configured password",
                admin.username
            ),
        }
    }
    switchyard_connectors::validate_all(&config.connectors)
        .context("checking the [[connectors]] configuration")?;

    // Senders record what they delivered here too (the connectors' own loop check).
    let ledger = SentLedger::with_capacity(100_000);
    let shutdown = CancellationToken::new();
    let mut tasks = Vec::new();

    // Live connectors store through the pipeline (posts + cursor in one transaction).
    let status = StatusRegistry::default();
    let sink = PipelineSink {
        pipeline: pipeline.clone(),
    };
    let filter = listening_filter(config)?;
    for connector in &config.connectors {
        tasks.push(switchyard_connectors::spawn(
            connector.clone(),
            sink.clone(),
            &status,
            shutdown.clone(),
            filter.clone(),
        ));
    }
    let webhooks = switchyard_connectors::webhook_configs(&config.connectors);
    let extra_routes = if webhooks.is_empty() {
        axum::Router::new()
    } else {
        let state = WebhookState::new(webhooks, Arc::new(sink.clone()), &status)
            .context("setting up the webhook receiver")?;
        axum::Router::new().nest("/hooks", webhook_router(state))
    };

    // The reply outbox: delivered through the configured senders, crash-safe in the CRM tables.
    let senders = switchyard_connectors::reply_senders(&config.connectors, &ledger)
        .context("setting up reply senders")?;
    let outbox: Arc<dyn switchyard_crm::replies::ReplySender> = match mode {
        Mode::Demo => Arc::new(DemoDelivery::new(senders)),
        Mode::Serve => Arc::new(ConnectorSenders::new(senders)),
    };
    let (stop_workers, worker_shutdown) = tokio::sync::watch::channel(false);
    {
        let crm = crm.clone();
        let outbox = outbox.clone();
        let shutdown = worker_shutdown.clone();
        tasks.push(tokio::spawn(async move {
            crm.run_delivery_worker(outbox, Duration::from_secs(2), shutdown)
                .await;
        }));
    }
    // SLA clocks: breach and about-to-breach events are logged as they happen.
    {
        let crm = crm.clone();
        let shutdown = worker_shutdown.clone();
        tasks.push(tokio::spawn(async move {
            crm.run_sla_watch(Duration::from_secs(30), shutdown, |event| {
                tracing::warn!(case = event.case_id, team = %event.team, kind = %event.kind, policy = %event.policy, due_at = %event.due_at, "SLA event");
            })
            .await;
        }));
    }
    {
        let shutdown = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            shutdown.cancelled().await;
            let _ = stop_workers.send(true);
        }));
    }

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
    let auth = ChainAuth(vec![
        Arc::new(CrmAuthenticator { crm: crm.clone() }),
        Arc::new(tokens),
    ]);
    let mut state = AppState::new(Arc::new(auth), store.clone(), pipeline.clone());
    state.max_body_bytes = config.server.max_body_bytes;
    state.saved_queries = Arc::new(config.queries.clone());
    state.crm = Some(crm.clone());
    state.connector_status = Arc::new(move || {
        serde_json::to_value(status.snapshot()).unwrap_or(serde_json::Value::Null)
    });
    Ok(Runtime {
        store,
        pipeline,
        state,
        extra_routes,
        shutdown,
        tasks,
    })
}

/// Firehose connectors (Bluesky Jetstream, Mastodon public streams) keep only posts that match
/// at least one saved listening query; with no saved queries they keep everything.
fn listening_filter(config: &Config) -> Result<switchyard_connectors::PostFilter> {
    if config.queries.is_empty() {
        return Ok(switchyard_connectors::accept_all());
    }
    let set = Arc::new(super::query_set(&config.queries)?);
    Ok(Arc::new(move |post| {
        !set.matching(&switchyard_query::PostView {
            post,
            analysis: None,
        })
        .is_empty()
    }))
}

/// Tries each authenticator in turn: CRM sessions and tokens first, then configured API tokens.
struct ChainAuth(Vec<Arc<dyn Authenticator>>);

impl Authenticator for ChainAuth {
    fn authenticate<'a>(&'a self, headers: &'a axum::http::HeaderMap) -> AuthFuture<'a> {
        Box::pin(async move {
            for auth in &self.0 {
                if let Some(actor) = auth.authenticate(headers).await? {
                    return Ok(Some(actor));
                }
            }
            Ok(None)
        })
    }
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
    say!("Switchyard is running at http://{address}/  (Ctrl-C stops it)");
    let app = switchyard_server::app_with(runtime.state.clone(), runtime.extra_routes.clone());
    switchyard_server::run(listener, app, shutdown_signal())
        .await
        .context("serving HTTP")?;
    runtime.shutdown.cancel();
    for task in runtime.tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    }
    runtime.store.close().await.context("closing the store")?;
    Ok(())
}
