//! The connector crate's error type: what went wrong and what to do about it.

use std::time::Duration;

/// Errors of a connector round. Messages never contain secrets.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("invalid configuration for connector {connector}: {reason}")]
    Config { connector: String, reason: String },
    #[error("could not set up {what}: {reason}")]
    Setup { what: String, reason: String },
    #[error("network error: {0}; will retry with backoff")]
    Transport(String),
    #[error("rate limited by {service}; waiting {wait:?} as the server asked")]
    RateLimited {
        service: String,
        wait: Option<Duration>,
    },
    #[error("{service} answered HTTP {status}: {detail}")]
    Http {
        service: String,
        status: u16,
        detail: String,
        /// The server's wait hint, for 5xx answers that carry one.
        wait: Option<Duration>,
    },
    #[error(
        "{service} refused our credentials (HTTP {status}); check the token/password in the configuration"
    )]
    Unauthorized { service: String, status: u16 },
    #[error("malformed payload from {source_name}: {reason}")]
    Malformed { source_name: String, reason: String },
    #[error("response larger than the {limit}-byte limit; refusing to read it")]
    TooLarge { limit: usize },
    #[error("the pipeline could not store the batch: {0}")]
    Sink(#[from] crate::sink::SinkError),
    #[error("{0}")]
    Protocol(String),
}

impl ConnectorError {
    /// The wait the server asked for, if any.
    pub fn server_wait(&self) -> Option<Duration> {
        match self {
            ConnectorError::RateLimited { wait, .. } | ConnectorError::Http { wait, .. } => *wait,
            _ => None,
        }
    }
}
