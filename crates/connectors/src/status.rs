//! The shared status view of every connector: last success, lag, errors, items ingested.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// What a connector is doing right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectorState {
    Starting,
    Running,
    /// Waiting after an error or a rate limit before trying again.
    BackingOff,
    /// Passive: fed by the webhook endpoint or used only to send replies.
    Passive,
    Stopped,
}

/// One connector's health, as the API (`GET /api/connectors`) and `switchyard connectors` show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorStatus {
    pub name: String,
    /// The connector type (`mastodon`, `bluesky`, `feed`, `imap`, `smtp`, `webhook`).
    pub kind: String,
    pub state: ConnectorState,
    pub last_success: Option<DateTime<Utc>>,
    /// Seconds between the newest item's own timestamp and when we ingested it (last batch).
    pub lag_seconds: Option<f64>,
    pub error_count: u64,
    pub consecutive_errors: u64,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub items_ingested: u64,
    /// Payloads refused as malformed, hostile or badly signed.
    pub rejected_payloads: u64,
    /// When the connector will try again, while backing off.
    pub retry_at: Option<DateTime<Utc>>,
}

/// All connectors' status, shared between the connector tasks and the server. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct StatusRegistry {
    inner: Arc<Mutex<BTreeMap<String, ConnectorStatus>>>,
}

impl StatusRegistry {
    pub fn new() -> Self {
        StatusRegistry::default()
    }

    /// Registers a connector (or returns the handle of one already registered under that name).
    pub fn register(&self, name: &str, kind: &str) -> StatusHandle {
        let mut map = self.lock();
        map.entry(name.to_string())
            .or_insert_with(|| ConnectorStatus {
                name: name.to_string(),
                kind: kind.to_string(),
                state: ConnectorState::Starting,
                last_success: None,
                lag_seconds: None,
                error_count: 0,
                consecutive_errors: 0,
                last_error: None,
                last_error_at: None,
                items_ingested: 0,
                rejected_payloads: 0,
                retry_at: None,
            });
        StatusHandle {
            registry: self.clone(),
            name: name.to_string(),
        }
    }

    /// Every connector's status, sorted by name.
    pub fn snapshot(&self) -> Vec<ConnectorStatus> {
        self.lock().values().cloned().collect()
    }

    /// One connector's status.
    pub fn get(&self, name: &str) -> Option<ConnectorStatus> {
        self.lock().get(name).cloned()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, ConnectorStatus>> {
        // A panic while holding this lock cannot leave the map inconsistent (every update is a
        // plain field write), so a poisoned lock is still safe to use.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn update(&self, name: &str, change: impl FnOnce(&mut ConnectorStatus)) {
        if let Some(status) = self.lock().get_mut(name) {
            change(status);
        }
    }
}

/// A connector's own writer into the [`StatusRegistry`].
#[derive(Debug, Clone)]
pub struct StatusHandle {
    registry: StatusRegistry,
    name: String,
}

impl StatusHandle {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn set_state(&self, state: ConnectorState) {
        self.registry.update(&self.name, |status| {
            status.state = state;
            if state != ConnectorState::BackingOff {
                status.retry_at = None;
            }
        });
    }

    /// A successful round (poll, batch, delivery): `items` ingested, `newest` the newest item's
    /// own timestamp (for the lag).
    pub fn success(&self, items: u64, newest: Option<DateTime<Utc>>) {
        let now = Utc::now();
        self.registry.update(&self.name, |status| {
            status.state = ConnectorState::Running;
            status.last_success = Some(now);
            status.consecutive_errors = 0;
            status.retry_at = None;
            status.items_ingested += items;
            if let Some(newest) = newest {
                let lag = (now - newest).num_milliseconds().max(0) as f64 / 1000.0;
                status.lag_seconds = Some(lag);
            }
        });
    }

    /// An error; the message must already be free of secrets.
    pub fn error(&self, message: &str) {
        let now = Utc::now();
        self.registry.update(&self.name, |status| {
            status.error_count += 1;
            status.consecutive_errors += 1;
            status.last_error = Some(message.to_string());
            status.last_error_at = Some(now);
        });
    }

    /// The connector waits until `until` before trying again.
    pub fn backing_off(&self, until: DateTime<Utc>) {
        self.registry.update(&self.name, |status| {
            status.state = ConnectorState::BackingOff;
            status.retry_at = Some(until);
        });
    }

    /// A payload was refused (malformed, hostile, badly signed); the connector keeps running.
    pub fn rejected(&self, reason: &str) {
        let now = Utc::now();
        self.registry.update(&self.name, |status| {
            status.rejected_payloads += 1;
            status.last_error = Some(reason.to_string());
            status.last_error_at = Some(now);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_success_errors_and_lag() {
        let registry = StatusRegistry::new();
        let handle = registry.register("feed-blog", "feed");
        handle.error("connection refused");
        handle.error("connection refused");
        handle.success(3, Some(Utc::now() - chrono::Duration::seconds(10)));
        let status = registry.get("feed-blog").unwrap();
        assert_eq!(status.error_count, 2);
        assert_eq!(status.consecutive_errors, 0);
        assert_eq!(status.items_ingested, 3);
        assert!(status.lag_seconds.unwrap() >= 9.0);
        assert_eq!(status.state, ConnectorState::Running);
        let json = serde_json::to_value(registry.snapshot()).unwrap();
        assert_eq!(json[0]["name"], "feed-blog");
        assert_eq!(json[0]["state"], "running");
    }
}
