//! SLA clocks: first response, next response and resolution due times on the case's policy and
//! business-hours calendar, paused while the case waits on the customer; per-case figures (met or
//! breached, response times) and the breach / about-to-breach events the server polls with
//! [`Crm::sla_events`].

use crate::calendar::{BusinessCalendar, add_time, time_between};
use crate::cases::{
    ACTIVE_STATUSES_SQL, CASE_COLUMNS, Case, add_event, case_from_row, load_case_tx,
};
use crate::config::SlaPolicy;
use crate::db::Tx;
use crate::error::CrmResult;
use crate::{Crm, from_ms, to_ms, vals};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

/// Which SLA clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaMetric {
    FirstResponse,
    NextResponse,
    Resolution,
}

impl SlaMetric {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaMetric::FirstResponse => "first_response",
            SlaMetric::NextResponse => "next_response",
            SlaMetric::Resolution => "resolution",
        }
    }
}

/// A clock still running on an active case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningClock {
    pub metric: SlaMetric,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

/// The clocks running on a case at `now` (none while paused or when the case has no policy).
pub fn running_clocks(case: &Case, policy: &SlaPolicy, now: DateTime<Utc>) -> Vec<RunningClock> {
    let calendar = policy.calendar.as_deref();
    if !case.status.is_active() {
        return Vec::new();
    }
    // While paused, the paused stretch so far also extends every due time.
    let paused_now = match case.paused_since {
        Some(since) => time_between(calendar, since, now).num_milliseconds(),
        None => 0,
    };
    let total_paused = Duration::milliseconds(case.paused_ms + paused_now);
    let mut clocks = Vec::new();
    if case.first_response_at.is_none() {
        clocks.push(RunningClock {
            metric: SlaMetric::FirstResponse,
            started_at: case.opened_at,
            due_at: add_time(
                calendar,
                case.opened_at,
                policy.first_response + total_paused,
            ),
        });
    } else if let (Some(target), Some(since)) = (policy.next_response, case.awaiting_since) {
        let paused_in_window =
            Duration::milliseconds(case.paused_ms + paused_now - case.paused_at_awaiting);
        clocks.push(RunningClock {
            metric: SlaMetric::NextResponse,
            started_at: since,
            due_at: add_time(calendar, since, target + paused_in_window),
        });
    }
    if let Some(target) = policy.resolution {
        clocks.push(RunningClock {
            metric: SlaMetric::Resolution,
            started_at: case.opened_at,
            due_at: add_time(calendar, case.opened_at, target + total_paused),
        });
    }
    clocks
}

/// One measured response (or resolution) against its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredResponse {
    pub metric: SlaMetric,
    pub waiting_since: DateTime<Utc>,
    pub responded_at: DateTime<Utc>,
    /// Business time the customer waited, pauses excluded.
    pub business_seconds: i64,
    pub target_seconds: Option<i64>,
    pub met: Option<bool>,
}

/// A case's SLA standing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaFigures {
    pub policy: String,
    pub first_response_target_minutes: i64,
    pub next_response_target_minutes: Option<i64>,
    pub resolution_target_minutes: Option<i64>,
    pub calendar: Option<String>,
    pub paused: bool,
    pub paused_seconds: i64,
    /// Clocks still running, with due times.
    pub running: Vec<RunningClock>,
    /// Measured responses and the resolution, in order.
    pub measured: Vec<MeasuredResponse>,
    /// Running clocks already past due.
    pub breached_now: Vec<SlaMetric>,
    pub first_response_met: Option<bool>,
    pub resolution_met: Option<bool>,
    pub any_breach: bool,
}

/// An event the SLA clock raises once per case, metric and due time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaEvent {
    pub case_id: i64,
    pub team: String,
    pub assignee_id: Option<i64>,
    pub policy: String,
    pub metric: SlaMetric,
    /// `about_to_breach` or `breached`.
    pub kind: String,
    pub due_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

impl Crm {
    pub(crate) fn calendar_of(&self, policy: Option<&str>) -> Option<Arc<BusinessCalendar>> {
        policy
            .and_then(|name| self.settings.policies.get(name))
            .and_then(|policy| policy.calendar.clone())
    }

    /// Records the response a delivered reply gave (first or next), inside the delivery transaction.
    pub(crate) async fn record_response_tx(
        &self,
        tx: &mut Tx,
        case_id: i64,
        now: DateTime<Utc>,
    ) -> CrmResult<()> {
        let case = load_case_tx(tx, case_id).await?;
        let policy = case
            .sla_policy
            .as_deref()
            .and_then(|name| self.settings.policies.get(name));
        let calendar = policy.and_then(|p| p.calendar.as_deref());
        let (kind, since, paused, target) = if case.first_response_at.is_none() {
            (
                SlaMetric::FirstResponse,
                case.opened_at,
                case.paused_ms,
                policy.map(|p| p.first_response),
            )
        } else if let Some(since) = case.awaiting_since {
            (
                SlaMetric::NextResponse,
                since,
                case.paused_ms - case.paused_at_awaiting,
                policy.and_then(|p| p.next_response),
            )
        } else {
            return Ok(());
        };
        let waited = (time_between(calendar, since, now).num_milliseconds() - paused).max(0);
        let met = target.map(|t| waited <= t.num_milliseconds());
        tx.execute(
            "INSERT INTO crm_sla_responses (case_id, kind, waiting_since, responded_at, business_ms, target_ms, met) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &vals![case_id, kind.as_str(), to_ms(since), to_ms(now), waited, target.map(|t| t.num_milliseconds()), met],
        )
        .await?;
        tx.execute(
            "UPDATE crm_cases SET first_response_at = COALESCE(first_response_at, $1), awaiting_since = NULL WHERE id = $2",
            &vals![to_ms(now), case_id],
        )
        .await?;
        add_event(
            tx,
            case_id,
            now,
            None,
            "sla_measured",
            json!({"metric": kind, "business_seconds": waited / 1000, "target_seconds": target.map(|t| t.num_seconds()), "met": met}),
        )
        .await
    }

    /// Records the resolution time when a case is resolved or closed.
    pub(crate) async fn record_resolution_tx(
        &self,
        tx: &mut Tx,
        case_id: i64,
        now: DateTime<Utc>,
    ) -> CrmResult<()> {
        let case = load_case_tx(tx, case_id).await?;
        let policy = case
            .sla_policy
            .as_deref()
            .and_then(|name| self.settings.policies.get(name));
        let calendar = policy.and_then(|p| p.calendar.as_deref());
        let paused_now = case
            .paused_since
            .map(|since| time_between(calendar, since, now).num_milliseconds())
            .unwrap_or(0);
        let waited = (time_between(calendar, case.opened_at, now).num_milliseconds()
            - case.paused_ms
            - paused_now)
            .max(0);
        let target = policy.and_then(|p| p.resolution);
        let met = target.map(|t| waited <= t.num_milliseconds());
        tx.execute(
            "INSERT INTO crm_sla_responses (case_id, kind, waiting_since, responded_at, business_ms, target_ms, met) VALUES ($1, 'resolution', $2, $3, $4, $5, $6)",
            &vals![case_id, to_ms(case.opened_at), to_ms(now), waited, target.map(|t| t.num_milliseconds()), met],
        )
        .await?;
        add_event(
            tx,
            case_id,
            now,
            None,
            "sla_measured",
            json!({"metric": "resolution", "business_seconds": waited / 1000, "target_seconds": target.map(|t| t.num_seconds()), "met": met}),
        )
        .await
    }

    /// A case's SLA figures (`None` when it has no policy).
    pub(crate) async fn sla_figures_of(&self, case: &Case) -> CrmResult<Option<SlaFigures>> {
        let Some(policy) = case
            .sla_policy
            .as_deref()
            .and_then(|name| self.settings.policies.get(name))
        else {
            return Ok(None);
        };
        let now = self.now();
        let rows = self
            .db
            .fetch_all(
                "SELECT kind, waiting_since, responded_at, business_ms, target_ms, met FROM crm_sla_responses WHERE case_id = $1 ORDER BY id",
                &vals![case.id],
            )
            .await?;
        let mut measured = Vec::new();
        for row in &rows {
            let metric = match row.text("kind")?.as_str() {
                "first_response" => SlaMetric::FirstResponse,
                "next_response" => SlaMetric::NextResponse,
                _ => SlaMetric::Resolution,
            };
            measured.push(MeasuredResponse {
                metric,
                waiting_since: from_ms(row.int("waiting_since")?),
                responded_at: from_ms(row.int("responded_at")?),
                business_seconds: row.int("business_ms")? / 1000,
                target_seconds: row.opt_int("target_ms")?.map(|ms| ms / 1000),
                met: row.opt_int("met")?.map(|m| m != 0),
            });
        }
        let running = running_clocks(case, policy, now);
        let breached_now: Vec<SlaMetric> = running
            .iter()
            .filter(|clock| clock.due_at <= now)
            .map(|clock| clock.metric)
            .collect();
        let last_met = |metric: SlaMetric| {
            measured
                .iter()
                .rev()
                .find(|m| m.metric == metric)
                .and_then(|m| m.met)
        };
        let first_response_met = last_met(SlaMetric::FirstResponse).or_else(|| {
            breached_now
                .contains(&SlaMetric::FirstResponse)
                .then_some(false)
        });
        let resolution_met = last_met(SlaMetric::Resolution).or_else(|| {
            breached_now
                .contains(&SlaMetric::Resolution)
                .then_some(false)
        });
        let any_breach = !breached_now.is_empty() || measured.iter().any(|m| m.met == Some(false));
        let paused_now = case
            .paused_since
            .map(|since| time_between(policy.calendar.as_deref(), since, now).num_milliseconds())
            .unwrap_or(0);
        Ok(Some(SlaFigures {
            policy: policy.name.clone(),
            first_response_target_minutes: policy.first_response.num_minutes(),
            next_response_target_minutes: policy.next_response.map(|d| d.num_minutes()),
            resolution_target_minutes: policy.resolution.map(|d| d.num_minutes()),
            calendar: policy.calendar.as_ref().map(|c| c.name.clone()),
            paused: case.paused_since.is_some(),
            paused_seconds: (case.paused_ms + paused_now) / 1000,
            running,
            measured,
            breached_now,
            first_response_met,
            resolution_met,
            any_breach,
        }))
    }

    /// A case's SLA figures, for whoever may read the case.
    pub async fn case_sla(
        &self,
        actor: Option<&crate::Actor>,
        case_id: i64,
    ) -> CrmResult<Option<SlaFigures>> {
        let case = self.case(actor, case_id).await?;
        self.sla_figures_of(&case).await
    }

    /// New breach and about-to-breach events at `now`, each raised once per case, clock and due
    /// time (and written to the case timeline). Paused clocks raise nothing. Meant to be polled.
    pub async fn sla_events(&self, now: DateTime<Utc>) -> CrmResult<Vec<SlaEvent>> {
        let rows = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {CASE_COLUMNS} FROM crm_cases WHERE status IN {ACTIVE_STATUSES_SQL} AND sla_policy IS NOT NULL AND paused_since IS NULL ORDER BY id"
                ),
                &[],
            )
            .await?;
        let mut events = Vec::new();
        for row in &rows {
            let case = case_from_row(row)?;
            let Some(policy) = case
                .sla_policy
                .as_deref()
                .and_then(|name| self.settings.policies.get(name))
            else {
                continue;
            };
            for clock in running_clocks(&case, policy, now) {
                let kind = if clock.due_at <= now {
                    "breached"
                } else if clock.due_at - self.settings.warn_before <= now {
                    "about_to_breach"
                } else {
                    continue;
                };
                let mut tx = self.db.begin().await?;
                let inserted = tx
                    .execute(
                        "INSERT INTO crm_sla_notices (case_id, metric, kind, due_at, emitted_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                        &vals![case.id, clock.metric.as_str(), kind, to_ms(clock.due_at), to_ms(now)],
                    )
                    .await?;
                if inserted == 0 {
                    continue;
                }
                add_event(
                    &mut tx,
                    case.id,
                    now,
                    None,
                    &format!("sla_{kind}"),
                    json!({"metric": clock.metric, "due_at": clock.due_at, "policy": policy.name}),
                )
                .await?;
                tx.commit().await?;
                events.push(SlaEvent {
                    case_id: case.id,
                    team: case.team.clone(),
                    assignee_id: case.assignee_id,
                    policy: policy.name.clone(),
                    metric: clock.metric,
                    kind: kind.to_string(),
                    due_at: clock.due_at,
                    at: now,
                });
            }
        }
        Ok(events)
    }
}

impl Crm {
    /// Polls [`Crm::sla_events`] every `interval` until `shutdown` turns true and hands each new
    /// event to `on_event` (alerts, the live stream, routing). Failures are logged and retried.
    pub async fn run_sla_watch(
        &self,
        interval: std::time::Duration,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
        on_event: impl Fn(SlaEvent) + Send + Sync,
    ) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            match self.sla_events(self.now()).await {
                Ok(events) => events.into_iter().for_each(&on_event),
                Err(error) => {
                    tracing::warn!(%error, "SLA check failed; retrying on the next tick")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::CaseStatus;
    use chrono::TimeZone;
    use switchyard_domain::Priority;

    fn policy() -> SlaPolicy {
        SlaPolicy {
            name: "pr-vip".into(),
            first_response: Duration::minutes(30),
            next_response: Some(Duration::minutes(60)),
            resolution: Some(Duration::hours(8)),
            calendar: None,
        }
    }

    fn case_at(opened: DateTime<Utc>) -> Case {
        Case {
            id: 1,
            title: "t".into(),
            status: CaseStatus::Open,
            team: "pr".into(),
            assignee_id: None,
            priority: Priority::High,
            tags: vec![],
            customer_id: None,
            sla_policy: Some("pr-vip".into()),
            channel: None,
            opened_at: opened,
            updated_at: opened,
            last_activity_at: opened,
            waiting_since: None,
            first_response_at: None,
            awaiting_since: Some(opened),
            paused_ms: 0,
            paused_since: None,
            paused_at_awaiting: 0,
            resolved_at: None,
            closed_at: None,
            created_by: None,
        }
    }

    #[test]
    fn first_response_and_resolution_run_from_opening() {
        let opened = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        let clocks = running_clocks(&case_at(opened), &policy(), opened);
        assert_eq!(clocks.len(), 2);
        assert_eq!(clocks[0].metric, SlaMetric::FirstResponse);
        assert_eq!(clocks[0].due_at, opened + Duration::minutes(30));
        assert_eq!(clocks[1].due_at, opened + Duration::hours(8));
    }

    #[test]
    fn business_hours_calendars_move_due_times_past_closing_and_weekends() {
        let calendar =
            crate::calendar::BusinessCalendar::from_config(&crate::calendar::CalendarConfig {
                name: "office".into(),
                utc_offset: "+01:00".into(),
                weekdays: vec![
                    "mon".into(),
                    "tue".into(),
                    "wed".into(),
                    "thu".into(),
                    "fri".into(),
                ],
                open: "09:00".into(),
                close: "17:00".into(),
                holidays: vec![],
            })
            .unwrap();
        let mut office = policy();
        office.first_response = Duration::minutes(60);
        office.calendar = Some(std::sync::Arc::new(calendar));
        // Friday 16:30 local (15:30 UTC): 30 minutes on Friday, 30 on Monday from 09:00 local.
        let opened = Utc.with_ymd_and_hms(2026, 11, 27, 15, 30, 0).unwrap();
        let clocks = running_clocks(&case_at(opened), &office, opened);
        assert_eq!(
            clocks[0].due_at,
            Utc.with_ymd_and_hms(2026, 11, 30, 8, 30, 0).unwrap()
        );
    }

    #[test]
    fn pauses_push_due_times_back() {
        let opened = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        let mut case = case_at(opened);
        case.paused_ms = Duration::minutes(20).num_milliseconds();
        case.paused_since = Some(opened + Duration::minutes(40));
        let now = opened + Duration::minutes(50);
        let clocks = running_clocks(&case, &policy(), now);
        // 30 target + 20 paused before + 10 paused so far.
        assert_eq!(clocks[0].due_at, opened + Duration::minutes(60));
    }

    #[test]
    fn after_the_first_response_the_next_response_clock_runs_from_the_customer() {
        let opened = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        let mut case = case_at(opened);
        case.first_response_at = Some(opened + Duration::minutes(10));
        case.awaiting_since = Some(opened + Duration::minutes(45));
        let clocks = running_clocks(&case, &policy(), opened + Duration::minutes(50));
        assert_eq!(clocks[0].metric, SlaMetric::NextResponse);
        assert_eq!(clocks[0].due_at, opened + Duration::minutes(105));
        case.awaiting_since = None;
        let clocks = running_clocks(&case, &policy(), opened + Duration::minutes(50));
        assert_eq!(clocks.len(), 1);
        assert_eq!(clocks[0].metric, SlaMetric::Resolution);
        case.status = CaseStatus::Resolved;
        assert!(running_clocks(&case, &policy(), opened).is_empty());
    }
}
