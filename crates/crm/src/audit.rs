//! The audit log: every change the CRM makes is written here in the same transaction as the change
//! (who, what, when, before → after as JSON), and can be read back by case, customer or user.

use crate::access::{Action, Actor, Resource, authorize};
use crate::db::{DbRow, Tx, Val};
use crate::error::CrmResult;
use crate::{Crm, from_ms, to_ms, vals};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One audited change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The user who made the change; `None` for the system (routing, the delivery worker, SLA clock).
    pub actor_id: Option<i64>,
    /// What was done, e.g. `case.assigned`, `reply.approved`, `customer.merged`.
    pub action: String,
    /// The kind of thing changed (`case`, `reply`, `customer`, `user`…) and its id.
    pub entity: String,
    pub entity_id: Option<i64>,
    pub case_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// What to write for one change.
#[derive(Debug, Clone, Default)]
pub struct Change<'a> {
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<i64>,
    pub case_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Writes one audit entry inside the caller's transaction.
pub async fn record(tx: &mut Tx, at: DateTime<Utc>, change: Change<'_>) -> CrmResult<()> {
    tx.execute(
        "INSERT INTO crm_audit (at, actor_id, action, entity, entity_id, case_id, customer_id, before_json, after_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &vals![
            to_ms(at),
            change.actor_id,
            change.action,
            change.entity,
            change.entity_id,
            change.case_id,
            change.customer_id,
            change.before.map(|v| v.to_string()),
            change.after.map(|v| v.to_string()),
        ],
    )
    .await?;
    Ok(())
}

/// Which entries to read; all filters combine with AND.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuditFilter {
    pub case_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Changes made by this user.
    pub actor_id: Option<i64>,
    /// Only entries with an id below this (for paging backwards).
    pub before_id: Option<i64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<i64>,
}

fn parse_json(text: Option<String>) -> Option<Value> {
    text.map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

pub(crate) fn entry_from_row(row: &DbRow) -> CrmResult<AuditEntry> {
    Ok(AuditEntry {
        id: row.int("id")?,
        at: from_ms(row.int("at")?),
        actor_id: row.opt_int("actor_id")?,
        action: row.text("action")?,
        entity: row.text("entity")?,
        entity_id: row.opt_int("entity_id")?,
        case_id: row.opt_int("case_id")?,
        customer_id: row.opt_int("customer_id")?,
        before: parse_json(row.opt_text("before_json")?),
        after: parse_json(row.opt_text("after_json")?),
    })
}

impl Crm {
    /// Audit entries, newest first. A case's history may be read by whoever may read the case;
    /// everything else needs read access to the audit log (leads, analysts, admins).
    pub async fn audit_log(
        &self,
        actor: Option<&Actor>,
        filter: &AuditFilter,
    ) -> CrmResult<Vec<AuditEntry>> {
        match (filter.case_id, filter.customer_id, filter.actor_id) {
            (Some(case_id), None, None) => {
                let case = self.case_row_team(case_id).await?;
                authorize(actor, Action::Read, Resource::Team(&case))?;
            }
            _ => authorize(actor, Action::Read, Resource::Audit)?,
        }
        let mut sql = String::from(
            "SELECT id, at, actor_id, action, entity, entity_id, case_id, customer_id, before_json, after_json FROM crm_audit WHERE 1 = 1",
        );
        let mut args: Vec<Val> = Vec::new();
        let mut add = |clause: &str, value: i64, sql: &mut String| {
            args.push(Val::from(value));
            sql.push_str(&format!(" AND {clause} = ${}", args.len()));
        };
        if let Some(case_id) = filter.case_id {
            add("case_id", case_id, &mut sql);
        }
        if let Some(customer_id) = filter.customer_id {
            add("customer_id", customer_id, &mut sql);
        }
        if let Some(actor_id) = filter.actor_id {
            add("actor_id", actor_id, &mut sql);
        }
        if let Some(before_id) = filter.before_id {
            args.push(Val::from(before_id));
            sql.push_str(&format!(" AND id < ${}", args.len()));
        }
        let limit = filter.limit.unwrap_or(100).clamp(1, 1000);
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
        let rows = self.db.fetch_all(&sql, &args).await?;
        rows.iter().map(entry_from_row).collect()
    }
}
