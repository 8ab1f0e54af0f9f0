//! Cases: opened by routing (the pipeline's post hook calls [`Crm::open_or_join_case`]) or by
//! hand, joined by later posts of the same thread, the same customer on the same queue within the
//! configured window, or the private conversation of a hand-off. Status, team, assignee, priority,
//! tags, linked posts and replies, internal notes and a full timeline.

use crate::access::{Action, Actor, Resource, Role, authorize};
use crate::audit::{self, Change};
use crate::db::{DbRow, Tx, Val};
use crate::error::{CrmError, CrmResult};
use crate::{Crm, from_ms, to_ms, vals};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt;
use std::str::FromStr;
use switchyard_domain::{Analysis, Post, Priority, RouteDecision, UNROUTED_QUEUE, Visibility};

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    New,
    Open,
    /// Waiting for the customer: SLA clocks are paused.
    PendingCustomer,
    /// Waiting on another team or an internal answer: clocks keep running.
    PendingInternal,
    Resolved,
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 6] = [
        CaseStatus::New,
        CaseStatus::Open,
        CaseStatus::PendingCustomer,
        CaseStatus::PendingInternal,
        CaseStatus::Resolved,
        CaseStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::New => "new",
            CaseStatus::Open => "open",
            CaseStatus::PendingCustomer => "pending_customer",
            CaseStatus::PendingInternal => "pending_internal",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Closed => "closed",
        }
    }

    /// Whether the case still needs work (counts against an agent's capacity).
    pub fn is_active(self) -> bool {
        match self {
            CaseStatus::New
            | CaseStatus::Open
            | CaseStatus::PendingCustomer
            | CaseStatus::PendingInternal => true,
            CaseStatus::Resolved | CaseStatus::Closed => false,
        }
    }
}

/// SQL list of the active statuses, for `status IN (…)`.
pub(crate) const ACTIVE_STATUSES_SQL: &str =
    "('new', 'open', 'pending_customer', 'pending_internal')";

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CaseStatus {
    type Err = CrmError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CaseStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s.trim())
            .ok_or_else(|| {
                CrmError::Invalid(format!(
                    "unknown case status {s:?}; expected new, open, pending_customer, pending_internal, resolved or closed"
                ))
            })
    }
}

/// A case as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: i64,
    pub title: String,
    pub status: CaseStatus,
    /// The team whose queue the case is on (the routed queue).
    pub team: String,
    pub assignee_id: Option<i64>,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub customer_id: Option<i64>,
    pub sla_policy: Option<String>,
    /// Channel of the post that opened the case.
    pub channel: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    /// Set while the case waits unassigned for capacity (FIFO order).
    pub waiting_since: Option<DateTime<Utc>>,
    pub first_response_at: Option<DateTime<Utc>>,
    /// The customer spoke last and awaits our answer since then.
    pub awaiting_since: Option<DateTime<Utc>>,
    /// Business milliseconds the SLA clocks were paused in total.
    pub paused_ms: i64,
    pub paused_since: Option<DateTime<Utc>>,
    pub paused_at_awaiting: i64,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_by: Option<i64>,
}

/// A post linked to a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CasePost {
    pub post_id: i64,
    pub channel: String,
    pub external_id: String,
    pub author_handle: String,
    pub visibility: String,
    /// Set on public posts once the conversation was taken private.
    pub taken_private_at: Option<DateTime<Utc>>,
    pub linked_at: DateTime<Utc>,
}

/// One entry in a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    /// `opened`, `post_linked`, `assigned`, `status_changed`, `note`, `reply_queued`,
    /// `reply_awaiting_approval`, `reply_approved`, `reply_sent_back`, `reply_delivered`,
    /// `reply_retrying`, `reply_rejected`, `handoff_offered`, `handoff_completed`,
    /// `sla_about_to_breach`, `sla_breached`, `updated`, `waiting`.
    pub kind: String,
    pub data: Value,
}

/// What the post hook did with a post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseLink {
    /// The case the post is on, if any (unrouted posts and our own replies open none).
    pub case_id: Option<i64>,
    /// The customer the post was attributed to (none for our own replies).
    pub customer_id: Option<i64>,
    pub outcome: LinkOutcome,
}

/// Posts filed per transaction by [`Crm::open_or_join_cases`] (the write lock is held that long).
pub const FILE_BATCH: usize = 200;

/// How a post was handled by [`Crm::open_or_join_case`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkOutcome {
    Opened,
    JoinedThread,
    JoinedCustomerWindow,
    JoinedHandoff,
    /// The post was linked before (the hook ran twice); nothing changed.
    AlreadyLinked,
    /// A reply we sent ourselves; never a new case.
    OwnReply,
    /// Routed nowhere and matching no case: the customer history keeps it, no case opened.
    Unrouted,
}

/// A case opened by hand.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub title: String,
    pub team: String,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub customer_id: Option<i64>,
    #[serde(default)]
    pub sla_policy: Option<String>,
    /// Assign at once to this user; otherwise the team's round robin picks.
    #[serde(default)]
    pub assignee_id: Option<i64>,
}

/// Changes to a case's fields; absent fields stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseUpdate {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Replaces the tag list.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub sla_policy: Option<String>,
    /// Moves the case to another team's queue (leads of the current team; unassigns it).
    #[serde(default)]
    pub team: Option<String>,
}

/// Which cases to list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CaseFilter {
    pub team: Option<String>,
    pub status: Option<CaseStatus>,
    pub assignee_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Only cases waiting unassigned.
    pub unassigned: Option<bool>,
    pub limit: Option<i64>,
}

/// A case with everything on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseDetail {
    pub case: Case,
    pub posts: Vec<CasePost>,
    pub replies: Vec<crate::replies::Reply>,
    pub handoffs: Vec<crate::replies::Handoff>,
    pub sla: Option<crate::sla::SlaFigures>,
    pub timeline: Vec<CaseEvent>,
}

pub(crate) const CASE_COLUMNS: &str = "id, title, status, team, assignee_id, priority, tags, customer_id, sla_policy, channel, opened_at, updated_at, last_activity_at, waiting_since, first_response_at, awaiting_since, paused_ms, paused_since, paused_at_awaiting, resolved_at, closed_at, created_by";

fn opt_time(row: &DbRow, column: &str) -> CrmResult<Option<DateTime<Utc>>> {
    Ok(row.opt_int(column)?.map(from_ms))
}

pub(crate) fn case_from_row(row: &DbRow) -> CrmResult<Case> {
    let priority = row
        .text("priority")?
        .parse::<Priority>()
        .map_err(CrmError::Database)?;
    Ok(Case {
        id: row.int("id")?,
        title: row.text("title")?,
        status: row.text("status")?.parse()?,
        team: row.text("team")?,
        assignee_id: row.opt_int("assignee_id")?,
        priority,
        tags: row.json("tags")?,
        customer_id: row.opt_int("customer_id")?,
        sla_policy: row.opt_text("sla_policy")?,
        channel: row.opt_text("channel")?,
        opened_at: from_ms(row.int("opened_at")?),
        updated_at: from_ms(row.int("updated_at")?),
        last_activity_at: from_ms(row.int("last_activity_at")?),
        waiting_since: opt_time(row, "waiting_since")?,
        first_response_at: opt_time(row, "first_response_at")?,
        awaiting_since: opt_time(row, "awaiting_since")?,
        paused_ms: row.int("paused_ms")?,
        paused_since: opt_time(row, "paused_since")?,
        paused_at_awaiting: row.int("paused_at_awaiting")?,
        resolved_at: opt_time(row, "resolved_at")?,
        closed_at: opt_time(row, "closed_at")?,
        created_by: row.opt_int("created_by")?,
    })
}

/// Loads a case inside a transaction.
pub(crate) async fn load_case_tx(tx: &mut Tx, case_id: i64) -> CrmResult<Case> {
    let row = tx
        .fetch_optional(
            &format!("SELECT {CASE_COLUMNS} FROM crm_cases WHERE id = $1"),
            &vals![case_id],
        )
        .await?
        .ok_or_else(|| CrmError::NotFound(format!("no case with id {case_id}")))?;
    case_from_row(&row)
}

/// Appends a timeline entry inside the caller's transaction.
pub(crate) async fn add_event(
    tx: &mut Tx,
    case_id: i64,
    at: DateTime<Utc>,
    actor_id: Option<i64>,
    kind: &str,
    data: Value,
) -> CrmResult<()> {
    tx.execute(
        "INSERT INTO crm_case_events (case_id, at, actor_id, kind, data) VALUES ($1, $2, $3, $4, $5)",
        &vals![case_id, to_ms(at), actor_id, kind, data.to_string()],
    )
    .await?;
    Ok(())
}

fn clean_tags(tags: &[String]) -> CrmResult<Vec<String>> {
    let mut cleaned: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.len() > 64 {
            return Err(CrmError::Invalid(format!(
                "tag {tag:?} is empty or longer than 64 characters"
            )));
        }
        if !cleaned.contains(&tag) {
            cleaned.push(tag);
        }
    }
    cleaned.sort();
    Ok(cleaned)
}

fn title_from_text(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut title: String = one_line.chars().take(80).collect();
    if one_line.chars().count() > 80 {
        title.push('…');
    }
    if title.is_empty() {
        title = "(no text)".to_string();
    }
    title
}

pub(crate) fn thread_key(channel: &str, thread: &str) -> String {
    format!("{channel}:{thread}")
}

/// Resumes paused SLA clocks inside a transaction (leaving pending_customer).
async fn resume_clock(crm: &Crm, tx: &mut Tx, case: &Case, now: DateTime<Utc>) -> CrmResult<()> {
    let Some(paused_since) = case.paused_since else {
        return Ok(());
    };
    let calendar = crm.calendar_of(case.sla_policy.as_deref());
    let paused = crate::calendar::time_between(calendar.as_deref(), paused_since, now);
    tx.execute(
        "UPDATE crm_cases SET paused_ms = paused_ms + $1, paused_since = NULL WHERE id = $2",
        &vals![paused.num_milliseconds(), case.id],
    )
    .await?;
    Ok(())
}

impl Crm {
    /// The team of a case (for permission checks before loading everything).
    pub(crate) async fn case_row_team(&self, case_id: i64) -> CrmResult<String> {
        let row = self
            .db
            .fetch_optional("SELECT team FROM crm_cases WHERE id = $1", &vals![case_id])
            .await?
            .ok_or_else(|| CrmError::NotFound(format!("no case with id {case_id}")))?;
        row.text("team")
    }

    /// The post hook: attributes the post to a customer and puts it on a case — the case of its
    /// thread, the open case of the same customer on the same queue within the join window, the
    /// case a hand-off invited this private conversation to — or opens a new case on the routed
    /// queue. Posts routed nowhere (`unrouted`) and our own replies open no case. Calling it twice
    /// for the same post changes nothing.
    pub async fn open_or_join_case(
        &self,
        post: &Post,
        decision: &RouteDecision,
        analysis: Option<&Analysis>,
    ) -> CrmResult<CaseLink> {
        let mut tx = self.db.begin().await?;
        let link = self.file_post_tx(&mut tx, post, decision, analysis).await?;
        tx.commit().await?;
        Ok(link)
    }

    /// [`Crm::open_or_join_case`] for a batch of stored posts in as few transactions as possible
    /// (one per [`FILE_BATCH`] posts: a commit per post rewrote the same index pages once per
    /// post). Each post runs under its own savepoint, so one that fails is rolled back alone and
    /// reported in its slot while the others are kept.
    pub async fn open_or_join_cases(
        &self,
        posts: &[(&Post, &RouteDecision, Option<&Analysis>)],
    ) -> Vec<CrmResult<CaseLink>> {
        let mut results = Vec::with_capacity(posts.len());
        for chunk in posts.chunks(FILE_BATCH) {
            match self.file_chunk(chunk).await {
                Ok(links) => results.extend(links),
                Err(error) => {
                    // The transaction itself failed (BEGIN, a savepoint or COMMIT): nothing of
                    // the chunk stayed.
                    let message =
                        format!("filing the batch failed, no post of it was filed: {error}");
                    results.extend(
                        chunk
                            .iter()
                            .map(|_| Err(CrmError::Database(message.clone()))),
                    );
                }
            }
        }
        results
    }

    async fn file_chunk(
        &self,
        chunk: &[(&Post, &RouteDecision, Option<&Analysis>)],
    ) -> CrmResult<Vec<CrmResult<CaseLink>>> {
        let mut tx = self.db.begin().await?;
        let mut links = Vec::with_capacity(chunk.len());
        for (post, decision, analysis) in chunk {
            tx.execute("SAVEPOINT file_post", &[]).await?;
            match self.file_post_tx(&mut tx, post, decision, *analysis).await {
                Ok(link) => {
                    tx.execute("RELEASE SAVEPOINT file_post", &[]).await?;
                    links.push(Ok(link));
                }
                Err(error) => {
                    tx.execute("ROLLBACK TO SAVEPOINT file_post", &[]).await?;
                    tx.execute("RELEASE SAVEPOINT file_post", &[]).await?;
                    links.push(Err(error));
                }
            }
        }
        tx.commit().await?;
        Ok(links)
    }

    /// The work of [`Crm::open_or_join_case`] inside the caller's transaction.
    async fn file_post_tx(
        &self,
        tx: &mut Tx,
        post: &Post,
        decision: &RouteDecision,
        analysis: Option<&Analysis>,
    ) -> CrmResult<CaseLink> {
        let now = self.now();
        let channel = post.post.channel.as_str();
        if crate::replies::is_own_reply_tx(tx, channel, &post.post.external_id).await? {
            return Ok(CaseLink {
                case_id: None,
                customer_id: None,
                outcome: LinkOutcome::OwnReply,
            });
        }
        if let Some(row) = tx
            .fetch_optional(
                "SELECT p.case_id, c.customer_id FROM crm_case_posts p JOIN crm_cases c ON c.id = p.case_id WHERE p.post_id = $1",
                &vals![post.id],
            )
            .await?
        {
            return Ok(CaseLink {
                case_id: Some(row.int("case_id")?),
                customer_id: row.opt_int("customer_id")?,
                outcome: LinkOutcome::AlreadyLinked,
            });
        }
        let sentiment = analysis.map(|a| a.sentiment.vader.compound);
        let resolved = crate::customers::resolve_post_customer(tx, post, sentiment, now).await?;
        let mut customer_id = resolved.customer_id;

        // 1. A private message answering a hand-off invitation.
        let mut found: Option<(i64, LinkOutcome)> = None;
        if post.post.visibility == Visibility::Private
            && let Some((case_id, handoff_customer)) =
                crate::replies::match_handoff(tx, post, customer_id).await?
        {
            if let Some(handoff_customer) = handoff_customer
                && handoff_customer != customer_id
            {
                customer_id = crate::customers::attach_identity_to(
                    tx,
                    &resolved,
                    handoff_customer,
                    case_id,
                    now,
                )
                .await?;
            }
            crate::replies::complete_handoff(tx, case_id, post, now).await?;
            found = Some((case_id, LinkOutcome::JoinedHandoff));
        }

        // 2. The same thread (or a reply to one of our replies).
        let key = post
            .post
            .thread_id
            .as_deref()
            .map(|thread| thread_key(channel, thread));
        if found.is_none() {
            let thread = post.post.thread_id.clone().unwrap_or_default();
            let parent = post.post.parent_id.clone().unwrap_or_default();
            if !thread.is_empty() || !parent.is_empty() {
                let row = tx
                    .fetch_optional(
                        "SELECT c.id FROM crm_cases c WHERE c.status <> 'closed' AND c.id IN (
                            SELECT p.case_id FROM crm_case_posts p WHERE p.channel = $1 AND (p.external_id = $2 OR p.external_id = $3 OR p.thread_key = $4)
                            UNION SELECT o.case_id FROM crm_outbox o WHERE o.channel = $1 AND (o.external_id = $2 OR o.external_id = $3))
                         ORDER BY c.id DESC LIMIT 1",
                        &vals![channel, thread.as_str(), parent.as_str(), key.clone().unwrap_or_default()],
                    )
                    .await?;
                if let Some(row) = row {
                    found = Some((row.int("id")?, LinkOutcome::JoinedThread));
                }
            }
        }

        // 3. The same customer on the same queue, recently active.
        if found.is_none() && decision.queue != UNROUTED_QUEUE {
            let since = now - self.settings.join_window;
            let row = tx
                .fetch_optional(
                    &format!(
                        "SELECT id FROM crm_cases WHERE customer_id = $1 AND team = $2 AND status IN {ACTIVE_STATUSES_SQL} AND last_activity_at >= $3 ORDER BY last_activity_at DESC LIMIT 1"
                    ),
                    &vals![customer_id, decision.queue.as_str(), to_ms(since)],
                )
                .await?;
            if let Some(row) = row {
                found = Some((row.int("id")?, LinkOutcome::JoinedCustomerWindow));
            }
        }

        if let Some((case_id, outcome)) = found {
            self.attach_inbound_post(tx, case_id, post, decision, outcome, now)
                .await?;
            return Ok(CaseLink {
                case_id: Some(case_id),
                customer_id: Some(customer_id),
                outcome,
            });
        }

        if decision.queue == UNROUTED_QUEUE {
            return Ok(CaseLink {
                case_id: None,
                customer_id: Some(customer_id),
                outcome: LinkOutcome::Unrouted,
            });
        }

        // 4. A new case on the routed queue.
        crate::people::ensure_team_tx(tx, &decision.queue, now).await?;
        let policy = self
            .settings
            .pick_policy(decision.sla_policy.as_deref(), post.post.author.followers)
            .map(|p| p.name.clone());
        let tags = clean_tags(&decision.tags)?;
        let case_id = tx
            .insert_returning_id(
                "INSERT INTO crm_cases (title, status, team, assignee_id, priority, tags, customer_id, sla_policy, channel, thread_key, opened_at, updated_at, last_activity_at, waiting_since, awaiting_since, created_by)
                 VALUES ($1, 'new', $2, NULL, $3, $4, $5, $6, $7, $8, $9, $9, $9, $9, $9, NULL) RETURNING id",
                &vals![
                    title_from_text(&post.post.text),
                    decision.queue.as_str(),
                    decision.priority.as_str(),
                    json!(tags).to_string(),
                    customer_id,
                    policy.clone(),
                    channel,
                    key.clone().or_else(|| Some(thread_key(channel, &post.post.external_id))),
                    to_ms(now),
                ],
            )
            .await?;
        self.link_post_row(tx, case_id, post, now).await?;
        let mut opened = json!({
            "post_id": post.id,
            "channel": channel,
            "external_id": post.post.external_id,
            "team": decision.queue,
            "priority": decision.priority,
            "tags": tags,
            "sla_policy": policy,
            "matched_rules": decision.matched_rules,
            "author_followers": post.post.author.followers,
        });
        if let Some(asked) = &decision.sla_policy
            && policy.as_deref() != Some(asked.as_str())
        {
            opened["sla_policy_unknown"] = json!(asked);
        }
        add_event(tx, case_id, now, None, "opened", opened.clone()).await?;
        audit::record(
            tx,
            now,
            Change {
                action: "case.opened",
                entity: "case",
                entity_id: Some(case_id),
                case_id: Some(case_id),
                customer_id: Some(customer_id),
                after: Some(opened),
                ..Change::default()
            },
        )
        .await?;
        self.auto_assign_tx(tx, case_id, now).await?;
        Ok(CaseLink {
            case_id: Some(case_id),
            customer_id: Some(customer_id),
            outcome: LinkOutcome::Opened,
        })
    }

    async fn link_post_row(
        &self,
        tx: &mut Tx,
        case_id: i64,
        post: &Post,
        now: DateTime<Utc>,
    ) -> CrmResult<()> {
        let channel = post.post.channel.as_str();
        tx.execute(
            "INSERT INTO crm_case_posts (post_id, case_id, channel, external_id, thread_key, author_handle, visibility, linked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (post_id) DO NOTHING",
            &vals![
                post.id,
                case_id,
                channel,
                post.post.external_id.as_str(),
                post.post.thread_id.as_deref().map(|t| thread_key(channel, t)),
                post.post.author.handle.as_str(),
                post.post.visibility.as_str(),
                to_ms(now),
            ],
        )
        .await?;
        Ok(())
    }

    /// Links a customer's post to an existing case and restarts the waiting-for-us clock.
    async fn attach_inbound_post(
        &self,
        tx: &mut Tx,
        case_id: i64,
        post: &Post,
        decision: &RouteDecision,
        outcome: LinkOutcome,
        now: DateTime<Utc>,
    ) -> CrmResult<()> {
        let case = load_case_tx(tx, case_id).await?;
        self.link_post_row(tx, case_id, post, now).await?;
        let mut new_status = case.status;
        match case.status {
            CaseStatus::PendingCustomer => {
                resume_clock(self, tx, &case, now).await?;
                new_status = CaseStatus::Open;
            }
            CaseStatus::Resolved => {
                tx.execute(
                    "UPDATE crm_cases SET resolved_at = NULL WHERE id = $1",
                    &vals![case_id],
                )
                .await?;
                new_status = CaseStatus::Open;
            }
            CaseStatus::New
            | CaseStatus::Open
            | CaseStatus::PendingInternal
            | CaseStatus::Closed => {}
        }
        let priority = case.priority.max(decision.priority);
        let mut tags = case.tags.clone();
        tags.extend(decision.tags.iter().cloned());
        let tags = clean_tags(&tags)?;
        tx.execute(
            "UPDATE crm_cases SET status = $1, priority = $2, tags = $3, last_activity_at = $4, updated_at = $4,
                 paused_at_awaiting = CASE WHEN awaiting_since IS NULL THEN paused_ms ELSE paused_at_awaiting END,
                 awaiting_since = CASE WHEN awaiting_since IS NULL THEN $4 ELSE awaiting_since END
             WHERE id = $5",
            &vals![new_status.as_str(), priority.as_str(), json!(tags).to_string(), to_ms(now), case_id],
        )
        .await?;
        let data = json!({
            "post_id": post.id,
            "channel": post.post.channel,
            "external_id": post.post.external_id,
            "visibility": post.post.visibility,
            "via": outcome,
        });
        add_event(tx, case_id, now, None, "post_linked", data.clone()).await?;
        if new_status != case.status {
            add_event(
                tx,
                case_id,
                now,
                None,
                "status_changed",
                json!({"from": case.status, "to": new_status, "reason": "the customer wrote again"}),
            )
            .await?;
        }
        audit::record(
            tx,
            now,
            Change {
                action: "case.post_linked",
                entity: "case",
                entity_id: Some(case_id),
                case_id: Some(case_id),
                customer_id: case.customer_id,
                before: Some(
                    json!({"status": case.status, "priority": case.priority, "tags": case.tags}),
                ),
                after: Some(
                    json!({"status": new_status, "priority": priority, "tags": tags, "post": data}),
                ),
                ..Change::default()
            },
        )
        .await?;
        Ok(())
    }

    /// Links a post to a case by hand (e.g. a post found in search belongs to this case).
    pub async fn link_post(
        &self,
        actor: Option<&Actor>,
        case_id: i64,
        post: &Post,
    ) -> CrmResult<Case> {
        let team = self.case_row_team(case_id).await?;
        authorize(actor, Action::Write, Resource::Team(&team))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if let Some(row) = tx
            .fetch_optional(
                "SELECT case_id FROM crm_case_posts WHERE post_id = $1",
                &vals![post.id],
            )
            .await?
        {
            return Err(CrmError::Conflict(format!(
                "post {} is already on case {}; unlink it there first",
                post.id,
                row.int("case_id")?
            )));
        }
        let resolved = crate::customers::resolve_post_customer(&mut tx, post, None, now).await?;
        let decision = RouteDecision {
            queue: team,
            ..RouteDecision::default()
        };
        self.attach_inbound_post(
            &mut tx,
            case_id,
            post,
            &decision,
            LinkOutcome::JoinedThread,
            now,
        )
        .await?;
        let case = load_case_tx(&mut tx, case_id).await?;
        if case.customer_id.is_none() {
            tx.execute(
                "UPDATE crm_cases SET customer_id = $1 WHERE id = $2",
                &vals![resolved.customer_id, case_id],
            )
            .await?;
        }
        add_event(
            &mut tx,
            case_id,
            now,
            actor.map(|a| a.user_id),
            "post_linked_by_hand",
            json!({"post_id": post.id}),
        )
        .await?;
        let case = load_case_tx(&mut tx, case_id).await?;
        tx.commit().await?;
        Ok(case)
    }

    /// Opens a case by hand (e.g. from a phone call) on a team the actor works.
    pub async fn open_case(&self, actor: Option<&Actor>, new: &NewCase) -> CrmResult<Case> {
        authorize(actor, Action::Write, Resource::Team(&new.team))?;
        let now = self.now();
        let title = new.title.trim();
        if title.is_empty() {
            return Err(CrmError::Invalid("a case needs a title".into()));
        }
        if let Some(policy) = &new.sla_policy
            && !self.settings.policies.contains_key(policy)
        {
            return Err(CrmError::Invalid(format!(
                "unknown SLA policy {policy:?}; configured: {}",
                self.settings
                    .policies
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let tags = clean_tags(&new.tags)?;
        let policy = new.sla_policy.clone().or_else(|| {
            self.settings
                .pick_policy(None, None)
                .map(|p| p.name.clone())
        });
        let mut tx = self.db.begin().await?;
        crate::people::ensure_team_tx(&mut tx, &new.team, now).await?;
        if let Some(customer_id) = new.customer_id {
            crate::customers::load_customer_row(&mut tx, customer_id).await?;
        }
        let case_id = tx
            .insert_returning_id(
                "INSERT INTO crm_cases (title, status, team, assignee_id, priority, tags, customer_id, sla_policy, channel, thread_key, opened_at, updated_at, last_activity_at, waiting_since, awaiting_since, created_by)
                 VALUES ($1, 'new', $2, NULL, $3, $4, $5, $6, NULL, NULL, $7, $7, $7, $7, $7, $8) RETURNING id",
                &vals![title, new.team.as_str(), new.priority.as_str(), json!(tags).to_string(), new.customer_id, policy.clone(), to_ms(now), actor.map(|a| a.user_id)],
            )
            .await?;
        let data = json!({"title": title, "team": new.team, "priority": new.priority, "tags": tags, "sla_policy": policy, "by_hand": true});
        add_event(
            &mut tx,
            case_id,
            now,
            actor.map(|a| a.user_id),
            "opened",
            data.clone(),
        )
        .await?;
        audit::record(
            &mut tx,
            now,
            Change {
                actor_id: actor.map(|a| a.user_id),
                action: "case.opened",
                entity: "case",
                entity_id: Some(case_id),
                case_id: Some(case_id),
                customer_id: new.customer_id,
                after: Some(data),
                ..Change::default()
            },
        )
        .await?;
        match new.assignee_id {
            Some(user_id) => {
                self.assign_tx(
                    &mut tx,
                    case_id,
                    Some(user_id),
                    actor.map(|a| a.user_id),
                    now,
                )
                .await?;
            }
            None => {
                self.auto_assign_tx(&mut tx, case_id, now).await?;
            }
        }
        let case = load_case_tx(&mut tx, case_id).await?;
        tx.commit().await?;
        Ok(case)
    }

    /// One case with its posts, replies, hand-offs, SLA figures and timeline.
    pub async fn case_detail(&self, actor: Option<&Actor>, case_id: i64) -> CrmResult<CaseDetail> {
        let case = self.case(actor, case_id).await?;
        let posts = self
            .db
            .fetch_all(
                "SELECT post_id, channel, external_id, author_handle, visibility, taken_private_at, linked_at FROM crm_case_posts WHERE case_id = $1 ORDER BY linked_at, post_id",
                &vals![case_id],
            )
            .await?
            .iter()
            .map(|row| {
                Ok(CasePost {
                    post_id: row.int("post_id")?,
                    channel: row.text("channel")?,
                    external_id: row.text("external_id")?,
                    author_handle: row.text("author_handle")?,
                    visibility: row.text("visibility")?,
                    taken_private_at: row.opt_int("taken_private_at")?.map(from_ms),
                    linked_at: from_ms(row.int("linked_at")?),
                })
            })
            .collect::<CrmResult<Vec<_>>>()?;
        let replies = self.replies_of_case(case_id).await?;
        let handoffs = self.handoffs_of_case(case_id).await?;
        let sla = self.sla_figures_of(&case).await?;
        let timeline = self.timeline_of(case_id).await?;
        Ok(CaseDetail {
            case,
            posts,
            replies,
            handoffs,
            sla,
            timeline,
        })
    }

    /// One case (checks the actor may read its team's queue).
    pub async fn case(&self, actor: Option<&Actor>, case_id: i64) -> CrmResult<Case> {
        let team = self.case_row_team(case_id).await?;
        authorize(actor, Action::Read, Resource::Team(&team))?;
        let row = self
            .db
            .fetch_optional(
                &format!("SELECT {CASE_COLUMNS} FROM crm_cases WHERE id = $1"),
                &vals![case_id],
            )
            .await?
            .ok_or_else(|| CrmError::NotFound(format!("no case with id {case_id}")))?;
        case_from_row(&row)
    }

    pub(crate) async fn timeline_of(&self, case_id: i64) -> CrmResult<Vec<CaseEvent>> {
        self.db
            .fetch_all(
                "SELECT id, at, actor_id, kind, data FROM crm_case_events WHERE case_id = $1 ORDER BY id",
                &vals![case_id],
            )
            .await?
            .iter()
            .map(|row| {
                Ok(CaseEvent {
                    id: row.int("id")?,
                    at: from_ms(row.int("at")?),
                    actor_id: row.opt_int("actor_id")?,
                    kind: row.text("kind")?,
                    data: row.json("data")?,
                })
            })
            .collect()
    }

    /// A case's timeline, oldest first.
    pub async fn timeline(&self, actor: Option<&Actor>, case_id: i64) -> CrmResult<Vec<CaseEvent>> {
        let team = self.case_row_team(case_id).await?;
        authorize(actor, Action::Read, Resource::Team(&team))?;
        self.timeline_of(case_id).await
    }

    /// Cases the actor may see, newest activity first. Agents and leads see their teams' queues;
    /// analysts and admins see all.
    pub async fn list_cases(
        &self,
        actor: Option<&Actor>,
        filter: &CaseFilter,
    ) -> CrmResult<Vec<Case>> {
        let Some(who) = actor else {
            return Err(crate::access::Denied::Unauthenticated.into());
        };
        if let Some(team) = &filter.team {
            authorize(actor, Action::Read, Resource::Team(team))?;
        }
        let mut sql = format!("SELECT {CASE_COLUMNS} FROM crm_cases WHERE 1 = 1");
        let mut args: Vec<Val> = Vec::new();
        if let Some(team) = &filter.team {
            args.push(Val::from(team.as_str()));
            sql.push_str(&format!(" AND team = ${}", args.len()));
        } else if matches!(who.role, Role::Agent | Role::Lead) {
            if who.teams.is_empty() {
                return Ok(Vec::new());
            }
            let mut placeholders = Vec::new();
            for team in &who.teams {
                args.push(Val::from(team.as_str()));
                placeholders.push(format!("${}", args.len()));
            }
            sql.push_str(&format!(" AND team IN ({})", placeholders.join(", ")));
        }
        if let Some(status) = filter.status {
            args.push(Val::from(status.as_str()));
            sql.push_str(&format!(" AND status = ${}", args.len()));
        }
        if let Some(assignee) = filter.assignee_id {
            args.push(Val::from(assignee));
            sql.push_str(&format!(" AND assignee_id = ${}", args.len()));
        }
        if let Some(customer) = filter.customer_id {
            args.push(Val::from(customer));
            sql.push_str(&format!(" AND customer_id = ${}", args.len()));
        }
        if filter.unassigned == Some(true) {
            sql.push_str(&format!(
                " AND assignee_id IS NULL AND status IN {ACTIVE_STATUSES_SQL}"
            ));
        }
        let limit = filter.limit.unwrap_or(200).clamp(1, 1000);
        sql.push_str(&format!(
            " ORDER BY last_activity_at DESC, id DESC LIMIT {limit}"
        ));
        self.db
            .fetch_all(&sql, &args)
            .await?
            .iter()
            .map(case_from_row)
            .collect()
    }

    /// Changes title, priority, tags, SLA policy or team of a case.
    pub async fn update_case(
        &self,
        actor: Option<&Actor>,
        case_id: i64,
        update: &CaseUpdate,
    ) -> CrmResult<Case> {
        let team = self.case_row_team(case_id).await?;
        let needs_lead = update.team.is_some() || update.sla_policy.is_some();
        authorize(
            actor,
            if needs_lead {
                Action::Manage
            } else {
                Action::Write
            },
            Resource::Team(&team),
        )?;
        if let Some(policy) = &update.sla_policy
            && !self.settings.policies.contains_key(policy)
        {
            return Err(CrmError::Invalid(format!("unknown SLA policy {policy:?}")));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let before = load_case_tx(&mut tx, case_id).await?;
        if let Some(title) = &update.title {
            if title.trim().is_empty() {
                return Err(CrmError::Invalid("a case title cannot be empty".into()));
            }
            tx.execute(
                "UPDATE crm_cases SET title = $1 WHERE id = $2",
                &vals![title.trim(), case_id],
            )
            .await?;
        }
        if let Some(priority) = update.priority {
            tx.execute(
                "UPDATE crm_cases SET priority = $1 WHERE id = $2",
                &vals![priority.as_str(), case_id],
            )
            .await?;
        }
        if let Some(tags) = &update.tags {
            let tags = clean_tags(tags)?;
            tx.execute(
                "UPDATE crm_cases SET tags = $1 WHERE id = $2",
                &vals![json!(tags).to_string(), case_id],
            )
            .await?;
        }
        if let Some(policy) = &update.sla_policy {
            tx.execute(
                "UPDATE crm_cases SET sla_policy = $1 WHERE id = $2",
                &vals![policy.as_str(), case_id],
            )
            .await?;
        }
        if let Some(new_team) = &update.team {
            crate::people::ensure_team_tx(&mut tx, new_team, now).await?;
            tx.execute(
                "UPDATE crm_cases SET team = $1, assignee_id = NULL, waiting_since = $2 WHERE id = $3",
                &vals![new_team.as_str(), to_ms(now), case_id],
            )
            .await?;
        }
        tx.execute(
            "UPDATE crm_cases SET updated_at = $1 WHERE id = $2",
            &vals![to_ms(now), case_id],
        )
        .await?;
        let after = load_case_tx(&mut tx, case_id).await?;
        add_event(
            &mut tx,
            case_id,
            now,
            actor.map(|a| a.user_id),
            "updated",
            json!({"title": after.title, "priority": after.priority, "tags": after.tags, "sla_policy": after.sla_policy, "team": after.team}),
        )
        .await?;
        audit::record(
            &mut tx,
            now,
            Change {
                actor_id: actor.map(|a| a.user_id),
                action: "case.updated",
                entity: "case",
                entity_id: Some(case_id),
                case_id: Some(case_id),
                customer_id: after.customer_id,
                before: Some(json!(before)),
                after: Some(json!(after)),
            },
        )
        .await?;
        if update.team.is_some() {
            self.auto_assign_tx(&mut tx, case_id, now).await?;
        }
        tx.commit().await?;
        if update.team.is_some() {
            self.fill_waiting(&before.team).await?;
        }
        Ok(self.case(actor, case_id).await.unwrap_or(after))
    }

    /// Moves a case to another status. Pending customer pauses the SLA clocks; leaving it resumes
    /// them; resolved and closed free the assignee's capacity for the next waiting case. Reopening
    /// a closed case needs a lead.
    pub async fn set_status(
        &self,
        actor: Option<&Actor>,
        case_id: i64,
        status: CaseStatus,
        comment: Option<&str>,
    ) -> CrmResult<Case> {
        let team = self.case_row_team(case_id).await?;
        authorize(actor, Action::Write, Resource::Team(&team))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let before = load_case_tx(&mut tx, case_id).await?;
        if before.status == status {
            return Ok(before);
        }
        if before.status == CaseStatus::Closed {
            authorize(actor, Action::Manage, Resource::Team(&team))?;
        }
        if before.status == CaseStatus::PendingCustomer {
            resume_clock(self, &mut tx, &before, now).await?;
        }
        let ms = to_ms(now);
        match status {
            CaseStatus::PendingCustomer => {
                tx.execute(
                    "UPDATE crm_cases SET paused_since = $1 WHERE id = $2",
                    &vals![ms, case_id],
                )
                .await?;
            }
            CaseStatus::Resolved => {
                tx.execute(
                    "UPDATE crm_cases SET resolved_at = $1, waiting_since = NULL WHERE id = $2",
                    &vals![ms, case_id],
                )
                .await?;
                self.record_resolution_tx(&mut tx, case_id, now).await?;
            }
            CaseStatus::Closed => {
                tx.execute(
                    "UPDATE crm_cases SET closed_at = $1, resolved_at = COALESCE(resolved_at, $1), waiting_since = NULL WHERE id = $2",
                    &vals![ms, case_id],
                )
                .await?;
                if before.resolved_at.is_none() {
                    self.record_resolution_tx(&mut tx, case_id, now).await?;
                }
            }
            CaseStatus::New | CaseStatus::Open | CaseStatus::PendingInternal => {
                if !before.status.is_active() {
                    tx.execute(
                        "UPDATE crm_cases SET resolved_at = NULL, closed_at = NULL, waiting_since = CASE WHEN assignee_id IS NULL THEN $1 ELSE NULL END WHERE id = $2",
                        &vals![ms, case_id],
                    )
                    .await?;
                }
            }
        }
        tx.execute(
            "UPDATE crm_cases SET status = $1, updated_at = $2, last_activity_at = $2 WHERE id = $3",
            &vals![status.as_str(), ms, case_id],
        )
        .await?;
        let data = json!({"from": before.status, "to": status, "comment": comment});
        add_event(
            &mut tx,
            case_id,
            now,
            actor.map(|a| a.user_id),
            "status_changed",
            data,
        )
        .await?;
        let after = load_case_tx(&mut tx, case_id).await?;
        audit::record(
            &mut tx,
            now,
            Change {
                actor_id: actor.map(|a| a.user_id),
                action: "case.status_changed",
                entity: "case",
                entity_id: Some(case_id),
                case_id: Some(case_id),
                customer_id: after.customer_id,
                before: Some(json!({"status": before.status})),
                after: Some(json!({"status": after.status, "comment": comment})),
            },
        )
        .await?;
        tx.commit().await?;
        if before.status.is_active() != status.is_active() {
            self.fill_waiting(&team).await?;
        }
        Ok(after)
    }

    /// Adds an internal note (never sent to the customer).
    pub async fn add_note(
        &self,
        actor: Option<&Actor>,
        case_id: i64,
        body: &str,
    ) -> CrmResult<CaseEvent> {
        let team = self.case_row_team(case_id).await?;
        authorize(actor, Action::Write, Resource::Team(&team))?;
        let body = body.trim();
        if body.is_empty() {
            return Err(CrmError::Invalid("a note needs some text".into()));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        add_event(
            &mut tx,
            case_id,
            now,
            actor.map(|a| a.user_id),
            "note",
            json!({"body": body}),
        )
        .await?;
        tx.execute(
            "UPDATE crm_cases SET updated_at = $1 WHERE id = $2",
            &vals![to_ms(now), case_id],
        )
        .await?;
        audit::record(
            &mut tx,
            now,
            Change {
                actor_id: actor.map(|a| a.user_id),
                action: "case.note_added",
                entity: "case",
                entity_id: Some(case_id),
                case_id: Some(case_id),
                after: Some(json!({"body": body})),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await?;
        let timeline = self.timeline_of(case_id).await?;
        timeline
            .into_iter()
            .rev()
            .find(|event| event.kind == "note")
            .ok_or_else(|| {
                CrmError::Database("the note was written but cannot be read back".into())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_know_if_active() {
        for status in CaseStatus::ALL {
            assert_eq!(status.as_str().parse::<CaseStatus>().unwrap(), status);
            assert_eq!(
                ACTIVE_STATUSES_SQL.contains(&format!("'{}'", status.as_str())),
                status.is_active()
            );
        }
        assert!("done".parse::<CaseStatus>().is_err());
    }

    #[test]
    fn titles_are_one_short_line() {
        assert_eq!(title_from_text("  late\n\nagain  "), "late again");
        let long = "x".repeat(200);
        assert_eq!(title_from_text(&long).chars().count(), 81);
        assert_eq!(title_from_text(""), "(no text)");
    }

    #[test]
    fn tags_are_cleaned_and_deduplicated() {
        let tags = clean_tags(&["Legal".into(), " legal ".into(), "vip".into()]).unwrap();
        assert_eq!(tags, vec!["legal".to_string(), "vip".to_string()]);
        assert!(clean_tags(&["  ".into()]).is_err());
    }
}
