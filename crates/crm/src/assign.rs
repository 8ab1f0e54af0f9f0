//! Capacity-aware assignment: round robin among a team's active agents who are below their
//! maximum of open cases; cases no one can take wait in FIFO order and are handed out as capacity
//! frees (a case resolved, an agent added or given more room). Manual take and reassign.

use crate::access::{Action, Actor, Resource, authorize};
use crate::audit::{self, Change};
use crate::cases::{ACTIVE_STATUSES_SQL, Case, add_event, load_case_tx};
use crate::db::Tx;
use crate::error::{CrmError, CrmResult};
use crate::{Crm, to_ms, vals};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// An agent who could take a case, with their load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub user_id: i64,
    pub open_cases: i64,
    pub max_open_cases: i64,
}

/// Round robin with capacity: the first candidate (by id) after `last_user_id` who has room,
/// wrapping around; `None` when everyone is full. Candidates must be sorted by `user_id`.
pub fn pick_round_robin(candidates: &[Candidate], last_user_id: Option<i64>) -> Option<i64> {
    let with_room: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.open_cases < c.max_open_cases)
        .collect();
    if with_room.is_empty() {
        return None;
    }
    if let Some(last) = last_user_id
        && let Some(next) = with_room.iter().find(|c| c.user_id > last)
    {
        return Some(next.user_id);
    }
    Some(with_room[0].user_id)
}

/// One team member's load, for the leads' "who is overloaded" view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    pub user_id: i64,
    pub username: String,
    pub open_cases: i64,
    pub max_open_cases: i64,
}

impl Crm {
    async fn candidates_tx(&self, tx: &mut Tx, team: &str) -> CrmResult<Vec<Candidate>> {
        let rows = tx
            .fetch_all(
                &format!(
                    "SELECT u.id, u.max_open_cases,
                        (SELECT COUNT(*) FROM crm_cases c WHERE c.assignee_id = u.id AND c.status IN {ACTIVE_STATUSES_SQL}) AS open_cases
                     FROM crm_users u
                     JOIN crm_memberships m ON m.user_id = u.id
                     JOIN crm_teams t ON t.id = m.team_id
                     WHERE t.name = $1 AND u.active = 1 AND u.role = 'agent'
                     ORDER BY u.id"
                ),
                &vals![team],
            )
            .await?;
        let default_max = self.settings.config.default_max_open_cases;
        rows.iter()
            .map(|row| {
                Ok(Candidate {
                    user_id: row.int("id")?,
                    open_cases: row.int("open_cases")?,
                    max_open_cases: row.opt_int("max_open_cases")?.unwrap_or(default_max),
                })
            })
            .collect()
    }

    /// Tries to assign an unassigned active case to the next agent with room; otherwise the case
    /// keeps waiting. Returns the assignee.
    pub(crate) async fn auto_assign_tx(
        &self,
        tx: &mut Tx,
        case_id: i64,
        now: DateTime<Utc>,
    ) -> CrmResult<Option<i64>> {
        let case = load_case_tx(tx, case_id).await?;
        if case.assignee_id.is_some() || !case.status.is_active() {
            return Ok(case.assignee_id);
        }
        let candidates = self.candidates_tx(tx, &case.team).await?;
        let last = tx
            .fetch_optional(
                "SELECT last_user_id FROM crm_round_robin WHERE team = $1",
                &vals![case.team.as_str()],
            )
            .await?
            .map(|row| row.int("last_user_id"))
            .transpose()?;
        let Some(user_id) = pick_round_robin(&candidates, last) else {
            if case.waiting_since.is_none() {
                tx.execute(
                    "UPDATE crm_cases SET waiting_since = $1 WHERE id = $2",
                    &vals![to_ms(now), case_id],
                )
                .await?;
            }
            add_event(
                tx,
                case_id,
                now,
                None,
                "waiting",
                json!({"reason": format!("no agent of team {:?} has capacity; the case waits its turn", case.team)}),
            )
            .await?;
            return Ok(None);
        };
        tx.execute(
            "INSERT INTO crm_round_robin (team, last_user_id) VALUES ($1, $2)
             ON CONFLICT (team) DO UPDATE SET last_user_id = excluded.last_user_id",
            &vals![case.team.as_str(), user_id],
        )
        .await?;
        self.write_assignment(tx, &case, Some(user_id), None, "round_robin", now)
            .await?;
        Ok(Some(user_id))
    }

    async fn write_assignment(
        &self,
        tx: &mut Tx,
        case: &Case,
        assignee: Option<i64>,
        actor_id: Option<i64>,
        how: &str,
        now: DateTime<Utc>,
    ) -> CrmResult<()> {
        let status = if assignee.is_some() && case.status == crate::cases::CaseStatus::New {
            crate::cases::CaseStatus::Open
        } else {
            case.status
        };
        tx.execute(
            "UPDATE crm_cases SET assignee_id = $1, status = $2, updated_at = $3,
                 waiting_since = CASE WHEN $1 IS NULL THEN $3 ELSE NULL END
             WHERE id = $4",
            &vals![assignee, status.as_str(), to_ms(now), case.id],
        )
        .await?;
        let data = json!({"from": case.assignee_id, "to": assignee, "how": how});
        add_event(tx, case.id, now, actor_id, "assigned", data.clone()).await?;
        audit::record(
            tx,
            now,
            Change {
                actor_id,
                action: "case.assigned",
                entity: "case",
                entity_id: Some(case.id),
                case_id: Some(case.id),
                customer_id: case.customer_id,
                before: Some(json!({"assignee_id": case.assignee_id, "status": case.status})),
                after: Some(json!({"assignee_id": assignee, "status": status, "how": how})),
            },
        )
        .await
    }

    /// Assigns (or unassigns, with `None`) inside a transaction; the assignee must be an active
    /// member of the case's team.
    pub(crate) async fn assign_tx(
        &self,
        tx: &mut Tx,
        case_id: i64,
        assignee: Option<i64>,
        actor_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> CrmResult<()> {
        let case = load_case_tx(tx, case_id).await?;
        if !case.status.is_active() {
            return Err(CrmError::Invalid(format!(
                "case {case_id} is {}; reopen it before assigning it",
                case.status
            )));
        }
        if let Some(user_id) = assignee {
            let member = tx
                .fetch_optional(
                    "SELECT u.id FROM crm_users u JOIN crm_memberships m ON m.user_id = u.id JOIN crm_teams t ON t.id = m.team_id WHERE u.id = $1 AND t.name = $2 AND u.active = 1",
                    &vals![user_id, case.team.as_str()],
                )
                .await?;
            if member.is_none() {
                return Err(CrmError::Invalid(format!(
                    "user {user_id} is not an active member of team {:?}; add them to the team first or pick a member",
                    case.team
                )));
            }
        }
        let how = if assignee.is_some() && actor_id == assignee {
            "taken"
        } else {
            "manual"
        };
        self.write_assignment(tx, &case, assignee, actor_id, how, now)
            .await
    }

    /// The actor takes a case of their team.
    pub async fn take_case(&self, actor: Option<&Actor>, case_id: i64) -> CrmResult<Case> {
        let team = self.case_row_team(case_id).await?;
        authorize(actor, Action::Write, Resource::Team(&team))?;
        let Some(actor) = actor else {
            return Err(crate::access::Denied::Unauthenticated.into());
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let before = load_case_tx(&mut tx, case_id).await?;
        self.assign_tx(
            &mut tx,
            case_id,
            Some(actor.user_id),
            Some(actor.user_id),
            now,
        )
        .await?;
        let case = load_case_tx(&mut tx, case_id).await?;
        tx.commit().await?;
        if before.assignee_id.is_some() && before.assignee_id != Some(actor.user_id) {
            self.fill_waiting(&team).await?;
        }
        Ok(case)
    }

    /// A lead assigns a case to a member of its team, or unassigns it (`None`, back to waiting).
    pub async fn reassign_case(
        &self,
        actor: Option<&Actor>,
        case_id: i64,
        assignee: Option<i64>,
    ) -> CrmResult<Case> {
        let team = self.case_row_team(case_id).await?;
        authorize(actor, Action::Manage, Resource::Team(&team))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.assign_tx(&mut tx, case_id, assignee, actor.map(|a| a.user_id), now)
            .await?;
        let case = load_case_tx(&mut tx, case_id).await?;
        tx.commit().await?;
        self.fill_waiting(&team).await?;
        Ok(case)
    }

    /// Hands waiting cases of a team, oldest first, to agents with room until one of the two
    /// runs out. Returns the ids of the cases assigned.
    pub async fn fill_waiting(&self, team: &str) -> CrmResult<Vec<i64>> {
        let mut assigned = Vec::new();
        // Bounded: each round assigns one case or stops.
        for _ in 0..10_000 {
            let now = self.now();
            let mut tx = self.db.begin().await?;
            let row = tx
                .fetch_optional(
                    &format!(
                        "SELECT id FROM crm_cases WHERE team = $1 AND assignee_id IS NULL AND status IN {ACTIVE_STATUSES_SQL}
                         ORDER BY COALESCE(waiting_since, opened_at), id LIMIT 1"
                    ),
                    &vals![team],
                )
                .await?;
            let Some(row) = row else { break };
            let case_id = row.int("id")?;
            let candidates = self.candidates_tx(&mut tx, team).await?;
            if pick_round_robin(&candidates, None).is_none() {
                break;
            }
            match self.auto_assign_tx(&mut tx, case_id, now).await? {
                Some(_) => {
                    tx.commit().await?;
                    assigned.push(case_id);
                }
                None => break,
            }
        }
        Ok(assigned)
    }

    /// Open cases per member of a team against their capacity.
    pub async fn team_workload(
        &self,
        actor: Option<&Actor>,
        team: &str,
    ) -> CrmResult<Vec<Workload>> {
        authorize(actor, Action::Read, Resource::Team(team))?;
        let rows = self
            .db
            .fetch_all(
                &format!(
                    "SELECT u.id, u.username, u.max_open_cases,
                        (SELECT COUNT(*) FROM crm_cases c WHERE c.assignee_id = u.id AND c.status IN {ACTIVE_STATUSES_SQL}) AS open_cases
                     FROM crm_users u JOIN crm_memberships m ON m.user_id = u.id JOIN crm_teams t ON t.id = m.team_id
                     WHERE t.name = $1 ORDER BY u.id"
                ),
                &vals![team],
            )
            .await?;
        let default_max = self.settings.config.default_max_open_cases;
        rows.iter()
            .map(|row| {
                Ok(Workload {
                    user_id: row.int("id")?,
                    username: row.text("username")?,
                    open_cases: row.int("open_cases")?,
                    max_open_cases: row.opt_int("max_open_cases")?.unwrap_or(default_max),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(user_id: i64, open_cases: i64, max_open_cases: i64) -> Candidate {
        Candidate {
            user_id,
            open_cases,
            max_open_cases,
        }
    }

    #[test]
    fn round_robin_goes_to_the_next_agent_and_wraps() {
        let agents = [c(1, 0, 2), c(2, 0, 2), c(3, 0, 2)];
        assert_eq!(pick_round_robin(&agents, None), Some(1));
        assert_eq!(pick_round_robin(&agents, Some(1)), Some(2));
        assert_eq!(pick_round_robin(&agents, Some(3)), Some(1));
    }

    #[test]
    fn full_agents_are_skipped_and_none_when_all_are_full() {
        let agents = [c(1, 2, 2), c(2, 5, 5), c(3, 1, 2)];
        assert_eq!(pick_round_robin(&agents, Some(3)), Some(3));
        assert_eq!(pick_round_robin(&agents, None), Some(3));
        let full = [c(1, 2, 2), c(2, 0, 0)];
        assert_eq!(pick_round_robin(&full, None), None);
        assert_eq!(pick_round_robin(&[], None), None);
    }
}
