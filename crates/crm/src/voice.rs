//! Agents' voice: any working user logs a complaint, a process glitch, a feature request or a
//! helpful hint — on a post, on a case, or free-standing (heard on the phone) — routed to the team
//! that owns that kind of feedback and counted for analytics.

use crate::access::{Action, Actor, Resource, authorize};
use crate::audit::{self, Change};
use crate::db::Val;
use crate::error::{CrmError, CrmResult};
use crate::{Crm, from_ms, to_ms, vals};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What an agent heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoiceKind {
    Complaint,
    ProcessGlitch,
    FeatureRequest,
    HelpfulHint,
}

impl VoiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VoiceKind::Complaint => "complaint",
            VoiceKind::ProcessGlitch => "process_glitch",
            VoiceKind::FeatureRequest => "feature_request",
            VoiceKind::HelpfulHint => "helpful_hint",
        }
    }

    /// The team that owns this kind of feedback when none is named.
    pub fn owning_team(self) -> &'static str {
        match self {
            VoiceKind::Complaint => "support",
            VoiceKind::ProcessGlitch => "operations",
            VoiceKind::FeatureRequest | VoiceKind::HelpfulHint => "product",
        }
    }

    fn parse(text: &str) -> CrmResult<Self> {
        match text {
            "complaint" => Ok(VoiceKind::Complaint),
            "process_glitch" => Ok(VoiceKind::ProcessGlitch),
            "feature_request" => Ok(VoiceKind::FeatureRequest),
            "helpful_hint" => Ok(VoiceKind::HelpfulHint),
            other => Err(CrmError::Database(format!(
                "unknown feedback kind {other:?} in the database"
            ))),
        }
    }
}

/// Feedback to log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVoice {
    pub kind: VoiceKind,
    pub body: String,
    /// The owning team; defaults by kind (glitch → operations, request/hint → product, complaint → support).
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub post_id: Option<i64>,
    #[serde(default)]
    pub case_id: Option<i64>,
}

/// A logged piece of feedback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoiceEntry {
    pub id: i64,
    pub kind: VoiceKind,
    pub body: String,
    pub team: String,
    pub post_id: Option<i64>,
    pub case_id: Option<i64>,
    pub author_id: i64,
    pub created_at: DateTime<Utc>,
}

/// How many entries a team got of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceCount {
    pub team: String,
    pub kind: VoiceKind,
    pub count: i64,
}

impl Crm {
    /// Logs feedback, routed to the owning team.
    pub async fn log_voice(&self, actor: Option<&Actor>, new: &NewVoice) -> CrmResult<VoiceEntry> {
        authorize(actor, Action::Write, Resource::Voice)?;
        let Some(author) = actor else {
            return Err(crate::access::Denied::Unauthenticated.into());
        };
        let body = new.body.trim();
        if body.is_empty() {
            return Err(CrmError::Invalid(
                "feedback needs some text saying what was heard".into(),
            ));
        }
        if let Some(case_id) = new.case_id {
            let team = self.case_row_team(case_id).await?;
            authorize(actor, Action::Read, Resource::Team(&team))?;
        }
        let team = new
            .team
            .clone()
            .unwrap_or_else(|| new.kind.owning_team().to_string());
        let now = self.now();
        let mut tx = self.db.begin().await?;
        crate::people::ensure_team_tx(&mut tx, &team, now).await?;
        let id = tx
            .insert_returning_id(
                "INSERT INTO crm_voice (kind, body, team, post_id, case_id, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &vals![new.kind.as_str(), body, team.as_str(), new.post_id, new.case_id, author.user_id, to_ms(now)],
            )
            .await?;
        let data = json!({"voice_id": id, "kind": new.kind, "team": team, "body": body});
        if let Some(case_id) = new.case_id {
            crate::cases::add_event(
                &mut tx,
                case_id,
                now,
                Some(author.user_id),
                "voice_logged",
                data.clone(),
            )
            .await?;
        }
        audit::record(
            &mut tx,
            now,
            Change {
                actor_id: Some(author.user_id),
                action: "voice.logged",
                entity: "voice",
                entity_id: Some(id),
                case_id: new.case_id,
                after: Some(data),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(VoiceEntry {
            id,
            kind: new.kind,
            body: body.to_string(),
            team,
            post_id: new.post_id,
            case_id: new.case_id,
            author_id: author.user_id,
            created_at: now,
        })
    }

    /// Feedback entries, newest first, optionally for one team.
    pub async fn list_voice(
        &self,
        actor: Option<&Actor>,
        team: Option<&str>,
        limit: i64,
    ) -> CrmResult<Vec<VoiceEntry>> {
        authorize(actor, Action::Read, Resource::Voice)?;
        let (sql, args): (String, Vec<Val>) = match team {
            Some(team) => (
                "SELECT * FROM crm_voice WHERE team = $1 ORDER BY id DESC LIMIT $2".into(),
                vals![team, limit.clamp(1, 1000)].to_vec(),
            ),
            None => (
                "SELECT * FROM crm_voice ORDER BY id DESC LIMIT $1".into(),
                vals![limit.clamp(1, 1000)].to_vec(),
            ),
        };
        self.db
            .fetch_all(&sql, &args)
            .await?
            .iter()
            .map(|row| {
                Ok(VoiceEntry {
                    id: row.int("id")?,
                    kind: VoiceKind::parse(&row.text("kind")?)?,
                    body: row.text("body")?,
                    team: row.text("team")?,
                    post_id: row.opt_int("post_id")?,
                    case_id: row.opt_int("case_id")?,
                    author_id: row.int("author_id")?,
                    created_at: from_ms(row.int("created_at")?),
                })
            })
            .collect()
    }

    /// Counts per team and kind in `[since, until)` (analytics).
    pub async fn voice_counts(
        &self,
        actor: Option<&Actor>,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> CrmResult<Vec<VoiceCount>> {
        authorize(actor, Action::Read, Resource::Analytics)?;
        self.db
            .fetch_all(
                "SELECT team, kind, COUNT(*) AS n FROM crm_voice WHERE created_at >= $1 AND created_at < $2 GROUP BY team, kind ORDER BY team, kind",
                &vals![to_ms(since), to_ms(until)],
            )
            .await?
            .iter()
            .map(|row| {
                Ok(VoiceCount {
                    team: row.text("team")?,
                    kind: VoiceKind::parse(&row.text("kind")?)?,
                    count: row.int("n")?,
                })
            })
            .collect()
    }
}
