//! Shared pieces of every connector's run loop: failure reporting with backoff, and the context
//! (sink, status, shutdown, filter) a connector task runs with.

use crate::backoff::Backoff;
use crate::error::ConnectorError;
use crate::status::StatusHandle;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use switchyard_domain::NewPost;

/// Decides whether a post heard on a firehose-like source (Bluesky Jetstream, Mastodon public
/// stream) is worth keeping: the server passes the active listening queries here.
pub type PostFilter = Arc<dyn Fn(&NewPost) -> bool + Send + Sync>;

/// A filter that keeps everything.
pub fn accept_all() -> PostFilter {
    Arc::new(|_| true)
}

/// Records a failed round in the status view and the log; returns how long to wait.
pub(crate) fn report_failure(
    status: &StatusHandle,
    backoff: &mut Backoff,
    error: &ConnectorError,
) -> Duration {
    let wait = backoff.next_delay_with_hint(error.server_wait());
    status.error(&error.to_string());
    let until = Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero());
    status.backing_off(until);
    tracing::warn!(
        connector = status.name(),
        retry_in_ms = wait.as_millis() as u64,
        "connector round failed: {error}"
    );
    wait
}
