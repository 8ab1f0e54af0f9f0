//! The `switchyard` command line: parses arguments, loads configuration and calls the libraries.
//! Each subcommand lives in `commands/` and stays thin.

/// `println!` that never panics: a closed or failing stdout (`switchyard … | head`) loses the
/// message instead of aborting the command (the work it reports is done either way).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod commands;
mod config;
mod demo;
mod logging;
mod wiring;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc: an analysed post allocates a few dozen small strings (labels, explanations), and
/// the system allocator was ≈ 8 % of `switchyard analyze` (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Switchyard: hears every channel, understands each post, switches it onto the right track.
#[derive(Debug, Parser)]
#[command(name = "switchyard", version, about, long_about = None)]
struct Cli {
    /// Configuration file (default: ./switchyard.toml if present).
    #[arg(long, global = true, env = "SWITCHYARD_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory for the embedded database and search index (default ./switchyard-data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL, e.g. postgres://user@host/db (default: SQLite inside the data directory).
    #[arg(long, global = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API, live stream and web command center.
    Serve {
        /// Listen address (overrides the configuration), e.g. 127.0.0.1:8080.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Run the server with a realistic live replay of demo traffic (no network, no shared data).
    Demo {
        /// Listen address, e.g. 127.0.0.1:8080.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Posts of history to backfill on first start (spread over the last 14 days).
        #[arg(long, default_value_t = 20_000)]
        history: usize,
        /// New posts per second in the live replay.
        #[arg(long, default_value_t = 2.0)]
        rate: f64,
    },
    /// Import posts from files (JSONL, CSV with presets or a mapping, X API v2 JSON, Mastodon JSON).
    Import {
        /// Files to import.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Format instead of detection: jsonl, csv, airline, twcs, complaints, cfpb, x-api-v2, mastodon.
        #[arg(long)]
        format: Option<String>,
        /// CSV column mapping (TOML); see docs/import.md.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Print only the summary.
        #[arg(long)]
        quiet: bool,
        /// Let routing open and join CRM cases for the imported posts (off: a backfill of history
        /// should not flood the queues with old cases).
        #[arg(long)]
        open_cases: bool,
    },
    /// Read JSON lines with a "text" field on stdin; write them with an added "analysis" object.
    ///
    /// With listening queries (`--queries FILE`, else the `[queries]` of the configuration),
    /// `analysis.queries` lists the names of the queries each post matches.
    Analyze {
        /// TOML file with a `[queries]` table of `name = "query"` lines (as in switchyard.toml).
        #[arg(long)]
        queries: Option<PathBuf>,
    },
    /// Publish posts from files to the NATS JetStream ingest log (scale-out; see `worker`).
    Publish {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Format instead of detection (as for `import`).
        #[arg(long)]
        format: Option<String>,
    },
    /// Consume the ingest log into the store (run several, on several machines).
    Worker {
        /// Posts per batch (one store transaction each).
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
    /// Search stored posts with a listening query.
    Search {
        /// The query, e.g. '"lost bag" OR delay* -thanks lang:en'.
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Totals by channel, sentiment and queue.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Check and back-test routing rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Rebuild the shipped models from the shared data sets.
    Train {
        /// The shared data folder (default $SWITCHYARD_SHARED_DATA or ../shared/data).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Where to write the models (default ./models).
        #[arg(long, default_value = "models")]
        out: PathBuf,
        /// Fold in the label corrections agents made on stored posts.
        #[arg(long)]
        with_corrections: bool,
    },
    /// Accuracy of every model beside the published anchors and VADER.
    Eval {
        /// The shared data folder (default $SWITCHYARD_SHARED_DATA or ../shared/data).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Correct a label on a stored post (kept with who and when; used by the next training run).
    Correct {
        post_id: i64,
        /// sentiment, complaint, intent, reason, urgency, toxicity or language.
        task: String,
        label: String,
        /// Who made the correction.
        #[arg(long, default_value = "cli")]
        user: String,
    },
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Run the tests every rule carries.
    Check {
        /// Rules file (default: the configured one, else the built-in rules).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Show what each rule would have matched on stored posts.
    Backtest {
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Only posts created since this time (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        since: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader of our output went away (`switchyard search … | head`): a normal end.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether an error comes from writing to a pipe whose reader has closed it.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn parse_since(text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    switchyard_domain::time::parse_time_or_date(text).with_context(|| {
        format!("--since {text:?} is not a time; use 2026-11-01 or 2026-11-01T08:00:00Z")
    })
}

fn run(cli: Cli) -> Result<ExitCode> {
    let (mut config, _config_path) = config::Config::load(cli.config.as_deref())?;
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    if let Some(url) = cli.database {
        config.database_url = Some(url);
    }
    match cli.command {
        Command::Analyze { queries } => match queries {
            Some(path) => commands::analyze_stdin(&commands::read_queries_file(&path)?),
            None => commands::analyze_stdin(&config.queries),
        },
        Command::Publish { paths, format } => {
            let format = format
                .map(|name| name.parse().map_err(anyhow::Error::from))
                .transpose()?;
            let any_rejected =
                runtime()?.block_on(commands::bus::publish(&config, &paths, format))?;
            Ok(if any_rejected {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Worker { batch } => {
            logging::init(&config.log);
            runtime()?.block_on(commands::bus::worker(&config, batch.clamp(1, 10_000)))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            logging::init(&config.log);
            runtime()?.block_on(async {
                let runtime = commands::serve::build(&config, commands::serve::Mode::Serve).await?;
                commands::serve::serve(&config, runtime).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            listen,
            history,
            rate,
        } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            if cli_data_dir_is_default(&config) {
                config.data_dir = PathBuf::from("switchyard-demo-data");
            }
            logging::init(&config.log);
            runtime()?.block_on(demo::run(&config, history, rate))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            paths,
            format,
            mapping,
            quiet,
            open_cases,
        } => {
            let format = format
                .map(|name| name.parse().map_err(anyhow::Error::from))
                .transpose()?;
            let any_rejected = runtime()?.block_on(async {
                let cases = if open_cases {
                    commands::serve::Cases::Open
                } else {
                    commands::serve::Cases::Skip
                };
                let (store, pipeline, _crm) = commands::serve::build_core(&config, cases).await?;
                let result = commands::import::run(
                    &pipeline,
                    commands::import::ImportArgs {
                        paths,
                        format,
                        mapping,
                        quiet,
                    },
                )
                .await;
                store.close().await?;
                result
            })?;
            Ok(if any_rejected {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Search { query, limit, json } => {
            runtime()?.block_on(async {
                let store = commands::serve::open_store(&config).await?;
                commands::search::run(&store, &query, limit, json).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats { json } => {
            runtime()?.block_on(async {
                let store = commands::serve::open_store(&config).await?;
                commands::stats::run(&store, json).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules { command } => match command {
            RulesCommand::Check { rules } => {
                if rules.is_some() {
                    config.rules = rules;
                }
                let rules = commands::serve::load_rules(&config)?;
                let passed = commands::rules::check(&rules)?;
                Ok(if passed {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                })
            }
            RulesCommand::Backtest { rules, since } => {
                if rules.is_some() {
                    config.rules = rules;
                }
                let since = parse_since(&since)?;
                let rules = commands::serve::load_rules(&config)?;
                runtime()?.block_on(async {
                    let store = commands::serve::open_store(&config).await?;
                    commands::rules::backtest(&rules, &store, since).await
                })?;
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Train {
            data,
            out,
            with_corrections,
        } => {
            let data = commands::models::data_dir(data)?;
            let corrections = if with_corrections {
                runtime()?.block_on(async {
                    let store = commands::serve::open_store(&config).await?;
                    commands::models::corrections(&store).await
                })?
            } else {
                Vec::new()
            };
            if with_corrections {
                say!("folding in {} corrections", corrections.len());
            }
            commands::models::train(&data, &out, &corrections)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { data } => {
            let data = commands::models::data_dir(data)?;
            commands::models::eval(&data)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Correct {
            post_id,
            task,
            label,
            user,
        } => {
            runtime()?.block_on(async {
                let store = commands::serve::open_store(&config).await?;
                store
                    .add_correction(post_id, &task, &label, &user)
                    .await
                    .with_context(|| format!("correcting post {post_id}"))?;
                say!("post {post_id}: {task} set to {label:?} by {user}");
                store.close().await?;
                anyhow::Ok(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Whether the data dir is the plain default (so the demo may use its own folder instead).
fn cli_data_dir_is_default(config: &config::Config) -> bool {
    config.data_dir.as_path() == std::path::Path::new("switchyard-data")
        && config.database_url.is_none()
}

#[cfg(test)]
mod tests {
    use super::is_broken_pipe;
    use anyhow::Context;
    use std::io;

    #[test]
    fn a_closed_pipe_is_the_end_of_output_not_an_error() {
        let closed: anyhow::Result<()> =
            Err(io::Error::from(io::ErrorKind::BrokenPipe)).context("writing search results");
        assert!(is_broken_pipe(&closed.unwrap_err()));
        let other: anyhow::Result<()> =
            Err(io::Error::from(io::ErrorKind::PermissionDenied)).context("writing");
        assert!(!is_broken_pipe(&other.unwrap_err()));
        assert!(!is_broken_pipe(&anyhow::anyhow!(
            "the query does not parse"
        )));
    }
}
