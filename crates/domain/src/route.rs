//! What routing decided for a post: queue (team), priority, tags, SLA policy, alerts.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The queue a post lands in when no rule matched it. Nothing is ever routed nowhere.
pub const UNROUTED_QUEUE: &str = "unrouted";

/// How soon a post or case needs attention.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Priority {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" => Ok(Priority::Low),
            "normal" | "medium" => Ok(Priority::Normal),
            "high" => Ok(Priority::High),
            "urgent" | "critical" => Ok(Priority::Urgent),
            other => Err(format!(
                "unknown priority {other:?}; expected low, normal, high or urgent"
            )),
        }
    }
}

/// The outcome of running the routing rules over one post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteDecision {
    /// The team queue; [`UNROUTED_QUEUE`] when no rule set one.
    pub queue: String,
    pub priority: Priority,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_policy: Option<String>,
    /// Alert channels to notify (names from the configuration).
    #[serde(default)]
    pub alerts: Vec<String>,
    /// Names of the rules that matched, in evaluation order.
    #[serde(default)]
    pub matched_rules: Vec<String>,
}

impl Default for RouteDecision {
    fn default() -> Self {
        RouteDecision {
            queue: UNROUTED_QUEUE.to_string(),
            priority: Priority::Normal,
            tags: Vec::new(),
            sla_policy: None,
            alerts: Vec::new(),
            matched_rules: Vec::new(),
        }
    }
}
