//! CRM configuration (the `[crm]` table of `switchyard.toml`): departments, case joining window,
//! capacity, sessions, SLA policies and calendars, approval rules, delivery retries, first admin.
//! [`CrmConfig::compile`] checks it all and gives back [`CrmSettings`].

use crate::calendar::{BusinessCalendar, CalendarConfig};
use crate::error::CrmError;
use chrono::Duration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The `[crm]` configuration as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrmConfig {
    /// Departments created on start if missing (more can be added through the API).
    pub teams: Vec<String>,
    /// A post from the same customer on the same queue within this many minutes of the case's
    /// last activity joins the open case instead of opening a new one.
    pub join_window_minutes: i64,
    /// Maximum open cases per agent unless the user has their own limit.
    pub default_max_open_cases: i64,
    /// Browser sessions expire after this many hours.
    pub session_ttl_hours: i64,
    pub sla: SlaConfig,
    pub approval: ApprovalConfig,
    pub delivery: DeliveryConfig,
    pub admin: AdminConfig,
}

impl Default for CrmConfig {
    fn default() -> Self {
        CrmConfig {
            teams: ["support", "marketing", "pr", "product", "operations", "hr"]
                .iter()
                .map(|t| t.to_string())
                .collect(),
            join_window_minutes: 24 * 60,
            default_max_open_cases: 10,
            session_ttl_hours: 12,
            sla: SlaConfig::default(),
            approval: ApprovalConfig::default(),
            delivery: DeliveryConfig::default(),
            admin: AdminConfig::default(),
        }
    }
}

/// SLA policies, calendars and reach tiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlaConfig {
    /// Policy for cases whose routing decision named none and whose author matches no tier.
    pub default_policy: Option<String>,
    /// "About to breach" fires this many minutes before a due time.
    pub warn_before_minutes: i64,
    pub calendars: Vec<CalendarConfig>,
    pub policies: Vec<SlaPolicyConfig>,
    /// Policy by author reach when routing named none: the highest matching tier wins.
    pub tiers: Vec<ReachTier>,
}

impl Default for SlaConfig {
    fn default() -> Self {
        SlaConfig {
            default_policy: Some("standard".to_string()),
            warn_before_minutes: 10,
            calendars: Vec::new(),
            policies: vec![
                SlaPolicyConfig {
                    name: "standard".into(),
                    first_response_minutes: 120,
                    next_response_minutes: Some(240),
                    resolution_minutes: Some(24 * 60),
                    calendar: None,
                },
                SlaPolicyConfig {
                    name: "pr-vip".into(),
                    first_response_minutes: 30,
                    next_response_minutes: Some(60),
                    resolution_minutes: Some(8 * 60),
                    calendar: None,
                },
            ],
            tiers: vec![ReachTier {
                min_followers: 100_000,
                policy: "pr-vip".into(),
            }],
        }
    }
}

/// One SLA policy as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicyConfig {
    pub name: String,
    pub first_response_minutes: i64,
    #[serde(default)]
    pub next_response_minutes: Option<i64>,
    #[serde(default)]
    pub resolution_minutes: Option<i64>,
    /// Name of a calendar from `calendars`; none = 24×7.
    #[serde(default)]
    pub calendar: Option<String>,
}

/// Authors with at least `min_followers` get `policy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReachTier {
    pub min_followers: u64,
    pub policy: String,
}

/// When a reply needs a lead's approval before it may go out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApprovalConfig {
    /// Replies to authors with more followers than this need approval.
    pub followers_above: Option<u64>,
    /// Replies on cases carrying any of these tags need approval.
    pub tags: Vec<String>,
}

impl Default for ApprovalConfig {
    fn default() -> Self {
        ApprovalConfig {
            followers_above: Some(10_000),
            tags: vec!["legal".to_string()],
        }
    }
}

/// How the outbox worker retries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryConfig {
    /// After this many failed attempts a reply is rejected.
    pub max_attempts: i64,
    /// First retry after this many seconds; doubled each attempt, capped at one hour.
    pub base_backoff_seconds: i64,
    /// A reply stuck in `sending` longer than this (a crash mid-send) is retried.
    pub sending_timeout_seconds: i64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            max_attempts: 8,
            base_backoff_seconds: 30,
            sending_timeout_seconds: 300,
        }
    }
}

/// The first admin, created when the user table is empty. No default password exists: either
/// `password` / `password_env` provides one, or a random one is generated and printed once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    pub username: String,
    pub password: Option<String>,
    /// Name of an environment variable holding the password (preferred over `password`).
    pub password_env: Option<String>,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            username: "admin".to_string(),
            password: None,
            password_env: Some("SWITCHYARD_ADMIN_PASSWORD".to_string()),
        }
    }
}

/// A compiled SLA policy.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaPolicy {
    pub name: String,
    pub first_response: Duration,
    pub next_response: Option<Duration>,
    pub resolution: Option<Duration>,
    pub calendar: Option<Arc<BusinessCalendar>>,
}

/// The checked configuration the CRM runs with.
#[derive(Debug, Clone)]
pub struct CrmSettings {
    pub config: CrmConfig,
    pub policies: BTreeMap<String, SlaPolicy>,
    pub join_window: Duration,
    pub warn_before: Duration,
    pub session_ttl: Duration,
}

fn positive_minutes(what: &str, minutes: i64) -> Result<Duration, CrmError> {
    if minutes <= 0 || minutes > 60 * 24 * 365 {
        return Err(CrmError::Config(format!(
            "{what} is {minutes} minutes; it must be between 1 and 525600"
        )));
    }
    Ok(Duration::minutes(minutes))
}

impl CrmConfig {
    /// Validates the configuration; every problem names the field and how to fix it.
    pub fn compile(&self) -> Result<CrmSettings, CrmError> {
        let mut calendars = BTreeMap::new();
        for calendar in &self.sla.calendars {
            let compiled = BusinessCalendar::from_config(calendar).map_err(CrmError::Config)?;
            if calendars
                .insert(compiled.name.clone(), Arc::new(compiled))
                .is_some()
            {
                return Err(CrmError::Config(format!(
                    "calendar {:?} is defined twice; give each calendar its own name",
                    calendar.name
                )));
            }
        }
        let mut policies = BTreeMap::new();
        for policy in &self.sla.policies {
            let name = policy.name.trim().to_string();
            if name.is_empty() {
                return Err(CrmError::Config("an SLA policy needs a name".into()));
            }
            let calendar = match &policy.calendar {
                None => None,
                Some(calendar_name) => Some(calendars.get(calendar_name).cloned().ok_or_else(|| {
                    CrmError::Config(format!(
                        "SLA policy {name:?} uses calendar {calendar_name:?}, which is not defined; add it under [[crm.sla.calendars]] or remove the line"
                    ))
                })?),
            };
            let compiled = SlaPolicy {
                name: name.clone(),
                first_response: positive_minutes(
                    &format!("SLA policy {name:?} first_response_minutes"),
                    policy.first_response_minutes,
                )?,
                next_response: policy
                    .next_response_minutes
                    .map(|m| {
                        positive_minutes(&format!("SLA policy {name:?} next_response_minutes"), m)
                    })
                    .transpose()?,
                resolution: policy
                    .resolution_minutes
                    .map(|m| {
                        positive_minutes(&format!("SLA policy {name:?} resolution_minutes"), m)
                    })
                    .transpose()?,
                calendar,
            };
            if policies.insert(name.clone(), compiled).is_some() {
                return Err(CrmError::Config(format!(
                    "SLA policy {name:?} is defined twice"
                )));
            }
        }
        let known = |name: &str| policies.contains_key(name);
        if let Some(default) = &self.sla.default_policy
            && !known(default)
        {
            return Err(CrmError::Config(format!(
                "sla.default_policy {default:?} is not one of the policies ({})",
                policies.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        for tier in &self.sla.tiers {
            if !known(&tier.policy) {
                return Err(CrmError::Config(format!(
                    "SLA tier for ≥{} followers names policy {:?}, which is not defined",
                    tier.min_followers, tier.policy
                )));
            }
        }
        if self.join_window_minutes < 0 {
            return Err(CrmError::Config(
                "join_window_minutes must be zero or more".into(),
            ));
        }
        if self.default_max_open_cases < 0 {
            return Err(CrmError::Config(
                "default_max_open_cases must be zero or more".into(),
            ));
        }
        if self.delivery.max_attempts < 1 || self.delivery.base_backoff_seconds < 1 {
            return Err(CrmError::Config(
                "delivery.max_attempts and delivery.base_backoff_seconds must be at least 1".into(),
            ));
        }
        Ok(CrmSettings {
            config: self.clone(),
            policies,
            join_window: Duration::minutes(self.join_window_minutes),
            warn_before: Duration::minutes(self.sla.warn_before_minutes.max(0)),
            session_ttl: positive_minutes("session_ttl_hours", self.session_ttl_hours * 60)?,
        })
    }
}

impl CrmSettings {
    /// The SLA policy for a new case: the routing decision's if it named one, else the highest
    /// reach tier the author meets, else the default. An unknown name from routing falls back too
    /// (and is reported by the caller in the timeline).
    pub fn pick_policy(&self, routed: Option<&str>, followers: Option<u64>) -> Option<&SlaPolicy> {
        if let Some(name) = routed
            && let Some(policy) = self.policies.get(name)
        {
            return Some(policy);
        }
        let followers = followers.unwrap_or(0);
        let mut best: Option<&ReachTier> = None;
        for tier in &self.config.sla.tiers {
            if followers >= tier.min_followers
                && best.is_none_or(|current| tier.min_followers > current.min_followers)
            {
                best = Some(tier);
            }
        }
        if let Some(tier) = best {
            return self.policies.get(&tier.policy);
        }
        self.config
            .sla
            .default_policy
            .as_deref()
            .and_then(|name| self.policies.get(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_configuration_compiles() {
        let settings = CrmConfig::default().compile().unwrap();
        assert_eq!(
            settings.policies["pr-vip"].first_response,
            Duration::minutes(30)
        );
    }

    #[test]
    fn policy_comes_from_routing_then_reach_then_default() {
        let settings = CrmConfig::default().compile().unwrap();
        assert_eq!(
            settings
                .pick_policy(Some("standard"), Some(500_000))
                .unwrap()
                .name,
            "standard"
        );
        assert_eq!(
            settings.pick_policy(None, Some(150_000)).unwrap().name,
            "pr-vip"
        );
        assert_eq!(
            settings
                .pick_policy(Some("nope"), Some(100_000))
                .unwrap()
                .name,
            "pr-vip"
        );
        assert_eq!(
            settings.pick_policy(None, Some(12)).unwrap().name,
            "standard"
        );
        assert_eq!(settings.pick_policy(None, None).unwrap().name, "standard");
    }

    #[test]
    fn unknown_names_are_reported() {
        let mut config = CrmConfig::default();
        config.sla.policies[0].calendar = Some("mars".into());
        let err = config.compile().unwrap_err().to_string();
        assert!(err.contains("mars") && err.contains("not defined"), "{err}");
        let mut config = CrmConfig::default();
        config.sla.default_policy = Some("gold".into());
        assert!(config.compile().unwrap_err().to_string().contains("gold"));
        let mut config = CrmConfig::default();
        config.sla.policies[1].first_response_minutes = 0;
        assert!(
            config
                .compile()
                .unwrap_err()
                .to_string()
                .contains("between 1")
        );
    }
}
