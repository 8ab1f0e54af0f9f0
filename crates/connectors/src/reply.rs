//! Outbound: the reply the outbox hands a channel, the [`ReplySender`] trait every channel
//! implements, and how an HTTP answer becomes a [`DeliveryOutcome`].

use crate::backoff::server_wait_hint;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::time::Duration;
use switchyard_domain::Channel;

/// A reply (or a private message) to send on a channel, as the outbox stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutgoingReply {
    pub channel: Channel,
    /// External id of the post we answer (status id, AT URI, Message-ID…); `None` starts a new
    /// conversation (e.g. a first direct message).
    #[serde(default)]
    pub in_reply_to: Option<String>,
    /// External id of the conversation's first post, where known (email `References`, Bluesky root).
    #[serde(default)]
    pub thread: Option<String>,
    /// Handle or address of the person we answer (`@amy@example.social`, `amy@example.com`).
    #[serde(default)]
    pub to: Option<String>,
    /// Subject line, for channels that have one (email).
    #[serde(default)]
    pub subject: Option<String>,
    pub text: String,
    /// Private answer: a Mastodon direct message, an email instead of a public post.
    #[serde(default)]
    pub private: bool,
    /// Stable per outbox entry, so a retried send is not posted twice.
    pub idempotency_key: String,
}

/// What happened to one send attempt. The outbox records `Delivered` external ids (and feeds them
/// to the [`crate::SentLedger`]) so our own reply is never ingested back as a customer post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DeliveryOutcome {
    Delivered {
        external_id: String,
    },
    /// Transient failure; try again (after `after` when the server said so).
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// Permanent failure; retrying the same reply will not help.
    Rejected {
        reason: String,
    },
}

/// A channel that can send replies.
pub trait ReplySender: Send + Sync {
    fn channel(&self) -> Channel;

    fn send(&self, reply: &OutgoingReply) -> impl Future<Output = DeliveryOutcome> + Send;
}

/// Maps a failed HTTP answer to Retry (429, 5xx, 408) or Rejected (other 4xx), with the server's
/// wait hint and a short, secret-free excerpt of its body.
pub(crate) fn outcome_from_http_failure(
    what: &str,
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &str,
) -> DeliveryOutcome {
    let excerpt: String = body.chars().take(300).collect();
    let reason = format!("{what} answered HTTP {status}: {excerpt}");
    if status.as_u16() == 429 || status.is_server_error() || status.as_u16() == 408 {
        DeliveryOutcome::Retry {
            reason,
            after: server_wait_hint(headers, Utc::now()),
        }
    } else {
        DeliveryOutcome::Rejected { reason }
    }
}

/// Maps a transport error (connection refused, timeout, TLS) to Retry.
pub(crate) fn outcome_from_transport_error(what: &str, error: &reqwest::Error) -> DeliveryOutcome {
    DeliveryOutcome::Retry {
        reason: format!(
            "could not reach {what}: {}",
            crate::http::describe_error(error)
        ),
        after: None,
    }
}
