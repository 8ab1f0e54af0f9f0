//! Replying: templates with variables (minijinja), the reply outbox (queued → awaiting_approval →
//! approved → sending → delivered | retrying | rejected, or sent_back by a lead), approval policies,
//! the delivery worker behind a per-channel [`ReplySender`], the record of our own replies that
//! keeps them from being ingested as new posts, and the public → private hand-off.
//!
//! Crash safety: a reply is a row before anyone tries to send it; the worker claims it, calls the
//! sender with the reply's idempotency key, and records the outcome. A reply found `sending` after
//! a restart is retried with the same key, so a sender that honours the key delivers it once.

use crate::access::{Action, Actor, Resource, authorize};
use crate::audit::{self, Change};
use crate::cases::{CaseStatus, add_event, load_case_tx};
use crate::config::ApprovalConfig;
use crate::db::{DbRow, Tx};
use crate::error::{CrmError, CrmResult};
use crate::{Crm, from_ms, to_ms, vals};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use switchyard_domain::{Channel, Post, Visibility};

/// Where a reply is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyStatus {
    /// Ready to send; needs no approval.
    Queued,
    /// Waits for a lead.
    AwaitingApproval,
    /// A lead approved it; ready to send.
    Approved,
    /// A lead sent it back with a comment; the author may revise it.
    SentBack,
    /// Claimed by the delivery worker.
    Sending,
    Delivered,
    /// The channel failed for now; tried again at `next_attempt_at`.
    Retrying,
    /// The channel refused it, or it failed too often; `reason` says why.
    Rejected,
}

impl ReplyStatus {
    pub const ALL: [ReplyStatus; 8] = [
        ReplyStatus::Queued,
        ReplyStatus::AwaitingApproval,
        ReplyStatus::Approved,
        ReplyStatus::SentBack,
        ReplyStatus::Sending,
        ReplyStatus::Delivered,
        ReplyStatus::Retrying,
        ReplyStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReplyStatus::Queued => "queued",
            ReplyStatus::AwaitingApproval => "awaiting_approval",
            ReplyStatus::Approved => "approved",
            ReplyStatus::SentBack => "sent_back",
            ReplyStatus::Sending => "sending",
            ReplyStatus::Delivered => "delivered",
            ReplyStatus::Retrying => "retrying",
            ReplyStatus::Rejected => "rejected",
        }
    }
}

impl FromStr for ReplyStatus {
    type Err = CrmError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReplyStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| CrmError::Invalid(format!("unknown reply status {s:?}")))
    }
}

/// A reply in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub id: i64,
    pub case_id: i64,
    pub channel: String,
    /// External id of the post answered.
    pub in_reply_to: Option<String>,
    /// Handle or address it goes to.
    pub recipient: Option<String>,
    pub visibility: Visibility,
    pub body: String,
    pub status: ReplyStatus,
    /// Why it is retrying or was rejected.
    pub reason: Option<String>,
    /// Why it needed approval.
    pub approval_reason: Option<String>,
    /// The lead's comment when approving or sending back.
    pub review_comment: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub idempotency_key: String,
    pub author_id: Option<i64>,
    pub reviewed_by: Option<i64>,
    /// The channel's id of the sent message.
    pub external_id: Option<String>,
    pub handoff_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// How the conversation continues in private.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffVia {
    DirectMessage,
    Email,
    Phone,
}

/// A public → private hand-off on a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    pub id: i64,
    pub case_id: i64,
    pub via: HandoffVia,
    /// A short code in the public invitation; a private message quoting it joins the case.
    pub reference: String,
    pub customer_id: Option<i64>,
    pub public_channel: Option<String>,
    pub outbox_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_post_id: Option<i64>,
}

/// A reply to write: literal text or a template with variables.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReply {
    #[serde(default)]
    pub body: Option<String>,
    /// Name of a template; rendered with the standard variables plus `variables`.
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub variables: Map<String, Value>,
    /// Defaults to the channel of the post answered.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// External id of the post answered; defaults to the case's latest customer post on the channel.
    #[serde(default)]
    pub in_reply_to: Option<String>,
    #[serde(default)]
    pub recipient: Option<String>,
    /// A private reply (DM, email) rather than a public one.
    #[serde(default)]
    pub private: bool,
    /// Invite the customer to continue privately; the body gets a reference code.
    #[serde(default)]
    pub handoff: Option<HandoffVia>,
    /// Makes the request safe to repeat: the same key returns the same reply.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// A reply template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub id: i64,
    pub name: String,
    pub body: String,
    pub team: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the delivery worker hands a channel sender.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutgoingReply {
    pub reply_id: i64,
    /// The same on every attempt: senders pass it to channels that deduplicate (or check it).
    pub idempotency_key: String,
    pub case_id: i64,
    pub channel: Channel,
    pub in_reply_to: Option<String>,
    pub recipient: Option<String>,
    pub visibility: Visibility,
    pub body: String,
    pub attempt: i64,
}

/// What a channel said to a send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// Sent; the channel's id of the new message.
    Delivered { external_id: String },
    /// Failed for now (network, rate limit); try again later — not before `after_seconds` when
    /// the channel said how long to wait.
    Retry {
        reason: String,
        #[serde(default)]
        after_seconds: Option<u64>,
    },
    /// Will never work (deleted post, blocked account, invalid text).
    Rejected { reason: String },
}

/// A boxed future, so senders can be trait objects.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = DeliveryOutcome> + Send + 'a>>;

/// Sends one reply on its channel. The connectors crate implements it per channel; the server
/// bridges those into one sender.
pub trait ReplySender: Send + Sync {
    fn send<'a>(&'a self, reply: &'a OutgoingReply) -> SendFuture<'a>;
}

/// What one pass of the delivery worker did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeliveryReport {
    pub delivered: Vec<i64>,
    pub retrying: Vec<i64>,
    pub rejected: Vec<i64>,
}

/// Why a reply needs a lead's approval under `policy`, if it does.
pub fn approval_reason(
    policy: &ApprovalConfig,
    author_reach: i64,
    case_tags: &[String],
) -> Option<String> {
    let mut reasons = Vec::new();
    if let Some(limit) = policy.followers_above
        && author_reach > i64::try_from(limit).unwrap_or(i64::MAX)
    {
        reasons.push(format!(
            "the author has {author_reach} followers (more than {limit})"
        ));
    }
    for tag in case_tags {
        if policy.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            reasons.push(format!("the case is tagged {tag:?}"));
        }
    }
    if reasons.is_empty() {
        None
    } else {
        Some(reasons.join("; "))
    }
}

/// Renders a template body with variables; unknown variables are errors, not blanks.
pub fn render_template(body: &str, variables: &Map<String, Value>) -> CrmResult<String> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.render_str(
        body,
        minijinja::Value::from(minijinja::value::Serde(variables)),
    )
    .map_err(|error| CrmError::Invalid(format!("the template does not render: {error}")))
}

fn check_template_syntax(body: &str) -> CrmResult<()> {
    let env = minijinja::Environment::new();
    env.template_from_str(body)
        .map(|_| ())
        .map_err(|error| CrmError::Invalid(format!("the template has a syntax error: {error}")))
}

const REPLY_COLUMNS: &str = "id, case_id, channel, in_reply_to, recipient, visibility, body, status, reason, approval_reason, review_comment, attempts, next_attempt_at, idempotency_key, author_id, reviewed_by, external_id, handoff_id, created_at, updated_at, delivered_at";

fn reply_from_row(row: &DbRow) -> CrmResult<Reply> {
    Ok(Reply {
        id: row.int("id")?,
        case_id: row.int("case_id")?,
        channel: row.text("channel")?,
        in_reply_to: row.opt_text("in_reply_to")?,
        recipient: row.opt_text("recipient")?,
        visibility: if row.text("visibility")? == "private" {
            Visibility::Private
        } else {
            Visibility::Public
        },
        body: row.text("body")?,
        status: row.text("status")?.parse()?,
        reason: row.opt_text("reason")?,
        approval_reason: row.opt_text("approval_reason")?,
        review_comment: row.opt_text("review_comment")?,
        attempts: row.int("attempts")?,
        next_attempt_at: row.opt_int("next_attempt_at")?.map(from_ms),
        idempotency_key: row.text("idempotency_key")?,
        author_id: row.opt_int("author_id")?,
        reviewed_by: row.opt_int("reviewed_by")?,
        external_id: row.opt_text("external_id")?,
        handoff_id: row.opt_int("handoff_id")?,
        created_at: from_ms(row.int("created_at")?),
        updated_at: from_ms(row.int("updated_at")?),
        delivered_at: row.opt_int("delivered_at")?.map(from_ms),
    })
}

fn handoff_from_row(row: &DbRow) -> CrmResult<Handoff> {
    let via = match row.text("via")?.as_str() {
        "email" => HandoffVia::Email,
        "phone" => HandoffVia::Phone,
        _ => HandoffVia::DirectMessage,
    };
    Ok(Handoff {
        id: row.int("id")?,
        case_id: row.int("case_id")?,
        via,
        reference: row.text("reference")?,
        customer_id: row.opt_int("customer_id")?,
        public_channel: row.opt_text("public_channel")?,
        outbox_id: row.opt_int("outbox_id")?,
        created_by: row.opt_int("created_by")?,
        created_at: from_ms(row.int("created_at")?),
        completed_at: row.opt_int("completed_at")?.map(from_ms),
        completed_post_id: row.opt_int("completed_post_id")?,
    })
}

fn via_str(via: HandoffVia) -> &'static str {
    match via {
        HandoffVia::DirectMessage => "direct_message",
        HandoffVia::Email => "email",
        HandoffVia::Phone => "phone",
    }
}

fn random_code(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub(crate) async fn is_own_reply_tx(
    tx: &mut Tx,
    channel: &str,
    external_id: &str,
) -> CrmResult<bool> {
    Ok(tx
        .fetch_optional(
            "SELECT outbox_id FROM crm_own_replies WHERE channel = $1 AND external_id = $2",
            &vals![channel, external_id],
        )
        .await?
        .is_some())
}

/// A private post answering a hand-off: by the reference quoted in its text, else by the customer
/// with a hand-off on an active case. Gives the case and the hand-off's customer.
pub(crate) async fn match_handoff(
    tx: &mut Tx,
    post: &Post,
    customer_id: i64,
) -> CrmResult<Option<(i64, Option<i64>)>> {
    let text = post.post.text.to_uppercase();
    let by_reference = tx
        .fetch_optional(
            &format!(
                "SELECT h.case_id, h.customer_id FROM crm_handoffs h JOIN crm_cases c ON c.id = h.case_id
                 WHERE c.status IN {} AND $1 LIKE ('%' || h.reference || '%') ORDER BY h.id DESC LIMIT 1",
                crate::cases::ACTIVE_STATUSES_SQL
            ),
            &vals![text],
        )
        .await?;
    if let Some(row) = by_reference {
        return Ok(Some((row.int("case_id")?, row.opt_int("customer_id")?)));
    }
    let by_customer = tx
        .fetch_optional(
            &format!(
                "SELECT h.case_id, h.customer_id FROM crm_handoffs h JOIN crm_cases c ON c.id = h.case_id
                 WHERE c.status IN {} AND h.customer_id = $1 ORDER BY h.id DESC LIMIT 1",
                crate::cases::ACTIVE_STATUSES_SQL
            ),
            &vals![customer_id],
        )
        .await?;
    match by_customer {
        Some(row) => Ok(Some((row.int("case_id")?, row.opt_int("customer_id")?))),
        None => Ok(None),
    }
}

/// Marks a case's open hand-off as answered by `post`.
pub(crate) async fn complete_handoff(
    tx: &mut Tx,
    case_id: i64,
    post: &Post,
    now: DateTime<Utc>,
) -> CrmResult<()> {
    let changed = tx
        .execute(
            "UPDATE crm_handoffs SET completed_at = $1, completed_post_id = $2 WHERE case_id = $3 AND completed_at IS NULL",
            &vals![to_ms(now), post.id, case_id],
        )
        .await?;
    if changed > 0 {
        let data = json!({"post_id": post.id, "channel": post.post.channel, "external_id": post.post.external_id});
        add_event(tx, case_id, now, None, "handoff_completed", data.clone()).await?;
        audit::record(
            tx,
            now,
            Change {
                action: "case.handoff_completed",
                entity: "case",
                entity_id: Some(case_id),
                case_id: Some(case_id),
                after: Some(data),
                ..Change::default()
            },
        )
        .await?;
    }
    Ok(())
}

fn backoff(base_seconds: i64, attempts: i64) -> Duration {
    let exponent = u32::try_from((attempts - 1).clamp(0, 12)).unwrap_or(12);
    Duration::seconds((base_seconds * 2_i64.pow(exponent)).min(3600))
}

impl Crm {
    /// Whether `(channel, external_id)` is a reply we sent. The pipeline checks this before
    /// ingesting, so our replies never come back as new posts.
    pub async fn is_own_reply(&self, channel: Channel, external_id: &str) -> CrmResult<bool> {
        Ok(self
            .db
            .fetch_optional(
                "SELECT outbox_id FROM crm_own_replies WHERE channel = $1 AND external_id = $2",
                &vals![channel.as_str(), external_id],
            )
            .await?
            .is_some())
    }

    pub(crate) async fn replies_of_case(&self, case_id: i64) -> CrmResult<Vec<Reply>> {
        self.db
            .fetch_all(
                &format!("SELECT {REPLY_COLUMNS} FROM crm_outbox WHERE case_id = $1 ORDER BY id"),
                &vals![case_id],
            )
            .await?
            .iter()
            .map(reply_from_row)
            .collect()
    }

    pub(crate) async fn handoffs_of_case(&self, case_id: i64) -> CrmResult<Vec<Handoff>> {
        self.db
            .fetch_all(
                "SELECT * FROM crm_handoffs WHERE case_id = $1 ORDER BY id",
                &vals![case_id],
            )
            .await?
            .iter()
            .map(handoff_from_row)
            .collect()
    }

    /// One reply (whoever may read its case).
    pub async fn reply(&self, actor: Option<&Actor>, reply_id: i64) -> CrmResult<Reply> {
        let reply = self.reply_unchecked(reply_id).await?;
        let team = self.case_row_team(reply.case_id).await?;
        authorize(actor, Action::Read, Resource::Team(&team))?;
        Ok(reply)
    }

    async fn reply_unchecked(&self, reply_id: i64) -> CrmResult<Reply> {
        let row = self
            .db
            .fetch_optional(
                &format!("SELECT {REPLY_COLUMNS} FROM crm_outbox WHERE id = $1"),
                &vals![reply_id],
            )
            .await?
            .ok_or_else(|| CrmError::NotFound(format!("no reply with id {reply_id}")))?;
        reply_from_row(&row)
    }

    /// Replies waiting for approval that the actor may see: leads their teams' (to approve),
    /// agents their teams' (to follow), analysts and admins all.
    pub async fn approval_queue(&self, actor: Option<&Actor>) -> CrmResult<Vec<Reply>> {
        let Some(who) = actor else {
            return Err(crate::access::Denied::Unauthenticated.into());
        };
        let rows = self
            .db
            .fetch_all(
                &format!(
                    "SELECT o.{}, c.team FROM crm_outbox o JOIN crm_cases c ON c.id = o.case_id WHERE o.status = 'awaiting_approval' ORDER BY o.id",
                    REPLY_COLUMNS.replace(", ", ", o.")
                ),
                &[],
            )
            .await?;
        let mut out = Vec::new();
        for row in &rows {
            let team = row.text("team")?;
            if authorize(Some(who), Action::Read, Resource::Team(&team)).is_ok() {
                out.push(reply_from_row(row)?);
            }
        }
        Ok(out)
    }

    /// Writes a reply on a case into the outbox. It waits for a lead when the approval policy says
    /// so (unless its author is a lead of the team); otherwise it is queued for delivery at once.
    pub async fn create_reply(
        &self,
        actor: Option<&Actor>,
        case_id: i64,
        new: &NewReply,
    ) -> CrmResult<Reply> {
        let team = self.case_row_team(case_id).await?;
        authorize(actor, Action::Write, Resource::Team(&team))?;
        let Some(author) = actor else {
            return Err(crate::access::Denied::Unauthenticated.into());
        };
        if let Some(key) = &new.idempotency_key {
            let key = key.trim();
            if key.is_empty() || key.len() > 200 {
                return Err(CrmError::Invalid(
                    "idempotency_key must be 1–200 characters".into(),
                ));
            }
            if let Some(row) = self
                .db
                .fetch_optional(
                    &format!("SELECT {REPLY_COLUMNS} FROM crm_outbox WHERE idempotency_key = $1"),
                    &vals![key],
                )
                .await?
            {
                let existing = reply_from_row(&row)?;
                if existing.case_id != case_id {
                    return Err(CrmError::Conflict(format!(
                        "idempotency key {key:?} was already used for a reply on case {}",
                        existing.case_id
                    )));
                }
                return Ok(existing);
            }
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let case = load_case_tx(&mut tx, case_id).await?;
        if matches!(case.status, CaseStatus::Closed) {
            return Err(CrmError::Invalid(format!(
                "case {case_id} is closed; reopen it to reply"
            )));
        }
        let visibility = if new.private { "private" } else { "public" };
        // The post answered: given, or the case's latest customer post with that visibility.
        let latest = tx
            .fetch_optional(
                "SELECT channel, external_id, author_handle FROM crm_case_posts WHERE case_id = $1 AND visibility = $2 ORDER BY linked_at DESC, post_id DESC LIMIT 1",
                &vals![case_id, visibility],
            )
            .await?;
        let channel = match (new.channel, &latest, &case.channel) {
            (Some(channel), _, _) => channel,
            (None, Some(row), _) => row
                .text("channel")?
                .parse::<Channel>()
                .map_err(|e| CrmError::Invalid(e.to_string()))?,
            (None, None, Some(channel)) => channel
                .parse::<Channel>()
                .map_err(|e| CrmError::Invalid(e.to_string()))?,
            (None, None, None) => {
                return Err(CrmError::Invalid(
                    "this case has no post to answer; say which channel to reply on (\"channel\")"
                        .into(),
                ));
            }
        };
        let in_reply_to = match &new.in_reply_to {
            Some(id) => Some(id.clone()),
            None => latest
                .as_ref()
                .map(|row| row.text("external_id"))
                .transpose()?,
        };
        let recipient = match &new.recipient {
            Some(r) => Some(r.clone()),
            None => latest
                .as_ref()
                .map(|row| row.text("author_handle"))
                .transpose()?,
        };
        let reference = new
            .handoff
            .map(|_| format!("SY-{case_id}-{}", random_code(4)));
        // Template variables: the standard ones, then the caller's.
        let mut variables = Map::new();
        let customer_name = match case.customer_id {
            Some(id) => crate::customers::load_customer_row(&mut tx, id)
                .await?
                .text("display_name")?,
            None => String::new(),
        };
        let agent_name = tx
            .fetch_optional(
                "SELECT display_name FROM crm_users WHERE id = $1",
                &vals![author.user_id],
            )
            .await?
            .map(|row| row.text("display_name"))
            .transpose()?
            .unwrap_or_else(|| author.username.clone());
        variables.insert("customer_name".into(), json!(customer_name));
        variables.insert("agent_name".into(), json!(agent_name));
        variables.insert("case_id".into(), json!(case_id));
        variables.insert("team".into(), json!(case.team));
        variables.insert(
            "handoff_reference".into(),
            json!(reference.clone().unwrap_or_default()),
        );
        for (key, value) in &new.variables {
            variables.insert(key.clone(), value.clone());
        }
        let source = match (&new.body, &new.template) {
            (Some(body), None) => body.clone(),
            (None, Some(name)) => tx
                .fetch_optional(
                    "SELECT body FROM crm_templates WHERE name = $1",
                    &vals![name.as_str()],
                )
                .await?
                .ok_or_else(|| CrmError::NotFound(format!("no template named {name:?}")))?
                .text("body")?,
            _ => {
                return Err(CrmError::Invalid(
                    "give either \"body\" or \"template\" (not both, not neither)".into(),
                ));
            }
        };
        // Templates always render; a written body renders only when it uses `{{ … }}` placeholders.
        let mut body = if new.template.is_some() || source.contains("{{") {
            render_template(&source, &variables)?
        } else {
            source
        };
        if let Some(reference) = &reference
            && !body.contains(reference.as_str())
        {
            body = format!("{} (ref {reference})", body.trim_end());
        }
        if body.trim().is_empty() {
            return Err(CrmError::Invalid("the reply is empty".into()));
        }
        let reach = match case.customer_id {
            Some(id) => crate::customers::load_customer_row(&mut tx, id)
                .await?
                .int("reach")?,
            None => 0,
        };
        let needs = approval_reason(&self.settings.config.approval, reach, &case.tags);
        let author_is_lead = authorize(actor, Action::Manage, Resource::Team(&team)).is_ok();
        let (status, reviewed_by) = match (&needs, author_is_lead) {
            (None, _) => (ReplyStatus::Queued, None),
            (Some(_), true) => (ReplyStatus::Approved, Some(author.user_id)),
            (Some(_), false) => (ReplyStatus::AwaitingApproval, None),
        };
        let key = new
            .idempotency_key
            .as_deref()
            .map(|k| k.trim().to_string())
            .unwrap_or_else(|| format!("reply-{case_id}-{}", random_code(16)));
        let reply_id = tx
            .insert_returning_id(
                "INSERT INTO crm_outbox (case_id, channel, in_reply_to, recipient, visibility, body, status, approval_reason, attempts, idempotency_key, author_id, reviewed_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $12, $12) RETURNING id",
                &vals![case_id, channel.as_str(), in_reply_to.clone(), recipient.clone(), visibility, body.as_str(), status.as_str(), needs.clone(), key.as_str(), author.user_id, reviewed_by, to_ms(now)],
            )
            .await?;
        if let (Some(via), Some(reference)) = (new.handoff, &reference) {
            let handoff_id = tx
                .insert_returning_id(
                    "INSERT INTO crm_handoffs (case_id, via, reference, customer_id, public_channel, public_thread_key, outbox_id, created_by, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    &vals![case_id, via_str(via), reference.as_str(), case.customer_id, channel.as_str(), in_reply_to.as_deref().map(|id| crate::cases::thread_key(channel.as_str(), id)), reply_id, author.user_id, to_ms(now)],
                )
                .await?;
            tx.execute(
                "UPDATE crm_outbox SET handoff_id = $1 WHERE id = $2",
                &vals![handoff_id, reply_id],
            )
            .await?;
            add_event(
                &mut tx,
                case_id,
                now,
                Some(author.user_id),
                "handoff_offered",
                json!({"via": via, "reference": reference, "reply_id": reply_id}),
            )
            .await?;
        }
        let kind = match status {
            ReplyStatus::AwaitingApproval => "reply_awaiting_approval",
            _ => "reply_queued",
        };
        let data = json!({"reply_id": reply_id, "status": status, "approval_reason": needs, "visibility": visibility, "channel": channel, "body": body});
        add_event(
            &mut tx,
            case_id,
            now,
            Some(author.user_id),
            kind,
            data.clone(),
        )
        .await?;
        audit::record(
            &mut tx,
            now,
            Change {
                actor_id: Some(author.user_id),
                action: "reply.created",
                entity: "reply",
                entity_id: Some(reply_id),
                case_id: Some(case_id),
                customer_id: case.customer_id,
                after: Some(data),
                ..Change::default()
            },
        )
        .await?;
        tx.execute(
            "UPDATE crm_cases SET updated_at = $1, status = CASE WHEN status = 'new' THEN 'open' ELSE status END WHERE id = $2",
            &vals![to_ms(now), case_id],
        )
        .await?;
        tx.commit().await?;
        self.reply_unchecked(reply_id).await
    }

    async fn review(
        &self,
        actor: Option<&Actor>,
        reply_id: i64,
        approve: bool,
        comment: Option<&str>,
    ) -> CrmResult<Reply> {
        let before = self.reply_unchecked(reply_id).await?;
        let team = self.case_row_team(before.case_id).await?;
        authorize(actor, Action::Manage, Resource::Team(&team))?;
        if before.status != ReplyStatus::AwaitingApproval {
            return Err(CrmError::Conflict(format!(
                "reply {reply_id} is {}, not awaiting approval",
                before.status.as_str()
            )));
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if !approve && comment.is_none() {
            return Err(CrmError::Invalid(
                "say why the reply is sent back (\"comment\") so the author can fix it".into(),
            ));
        }
        let (status, kind, action) = if approve {
            (ReplyStatus::Approved, "reply_approved", "reply.approved")
        } else {
            (ReplyStatus::SentBack, "reply_sent_back", "reply.sent_back")
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let changed = tx
            .execute(
                "UPDATE crm_outbox SET status = $1, reviewed_by = $2, review_comment = $3, updated_at = $4 WHERE id = $5 AND status = 'awaiting_approval'",
                &vals![status.as_str(), actor.map(|a| a.user_id), comment, to_ms(now), reply_id],
            )
            .await?;
        if changed == 0 {
            return Err(CrmError::Conflict(format!(
                "reply {reply_id} was reviewed by someone else just now"
            )));
        }
        let data = json!({"reply_id": reply_id, "comment": comment});
        add_event(
            &mut tx,
            before.case_id,
            now,
            actor.map(|a| a.user_id),
            kind,
            data,
        )
        .await?;
        audit::record(
            &mut tx,
            now,
            Change {
                actor_id: actor.map(|a| a.user_id),
                action,
                entity: "reply",
                entity_id: Some(reply_id),
                case_id: Some(before.case_id),
                before: Some(json!({"status": before.status})),
                after: Some(json!({"status": status, "comment": comment})),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await?;
        self.reply_unchecked(reply_id).await
    }

    /// A lead approves a waiting reply; the delivery worker sends it next.
    pub async fn approve_reply(
        &self,
        actor: Option<&Actor>,
        reply_id: i64,
        comment: Option<&str>,
    ) -> CrmResult<Reply> {
        self.review(actor, reply_id, true, comment).await
    }

    /// A lead sends a waiting reply back to its author with a comment.
    pub async fn send_back_reply(
        &self,
        actor: Option<&Actor>,
        reply_id: i64,
        comment: &str,
    ) -> CrmResult<Reply> {
        self.review(actor, reply_id, false, Some(comment)).await
    }

    /// The author (or anyone on the team) revises a sent-back reply; it goes through approval again.
    pub async fn revise_reply(
        &self,
        actor: Option<&Actor>,
        reply_id: i64,
        body: &str,
    ) -> CrmResult<Reply> {
        let before = self.reply_unchecked(reply_id).await?;
        let team = self.case_row_team(before.case_id).await?;
        authorize(actor, Action::Write, Resource::Team(&team))?;
        if before.status != ReplyStatus::SentBack {
            return Err(CrmError::Conflict(format!(
                "reply {reply_id} is {}; only sent-back replies can be revised",
                before.status.as_str()
            )));
        }
        if body.trim().is_empty() {
            return Err(CrmError::Invalid("the reply is empty".into()));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "UPDATE crm_outbox SET body = $1, status = 'awaiting_approval', updated_at = $2 WHERE id = $3",
            &vals![body.trim(), to_ms(now), reply_id],
        )
        .await?;
        add_event(
            &mut tx,
            before.case_id,
            now,
            actor.map(|a| a.user_id),
            "reply_awaiting_approval",
            json!({"reply_id": reply_id, "revised": true, "body": body.trim()}),
        )
        .await?;
        audit::record(
            &mut tx,
            now,
            Change {
                actor_id: actor.map(|a| a.user_id),
                action: "reply.revised",
                entity: "reply",
                entity_id: Some(reply_id),
                case_id: Some(before.case_id),
                before: Some(json!({"body": before.body, "status": before.status})),
                after: Some(json!({"body": body.trim(), "status": "awaiting_approval"})),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await?;
        self.reply_unchecked(reply_id).await
    }

    /// A lead puts a rejected reply back in line (e.g. after fixing a channel's credentials).
    pub async fn requeue_reply(&self, actor: Option<&Actor>, reply_id: i64) -> CrmResult<Reply> {
        let before = self.reply_unchecked(reply_id).await?;
        let team = self.case_row_team(before.case_id).await?;
        authorize(actor, Action::Manage, Resource::Team(&team))?;
        if before.status != ReplyStatus::Rejected {
            return Err(CrmError::Conflict(format!(
                "reply {reply_id} is {}, not rejected",
                before.status.as_str()
            )));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        tx.execute(
            "UPDATE crm_outbox SET status = 'retrying', attempts = 0, next_attempt_at = $1, updated_at = $1 WHERE id = $2",
            &vals![to_ms(now), reply_id],
        )
        .await?;
        audit::record(
            &mut tx,
            now,
            Change {
                actor_id: actor.map(|a| a.user_id),
                action: "reply.requeued",
                entity: "reply",
                entity_id: Some(reply_id),
                case_id: Some(before.case_id),
                before: Some(json!({"status": before.status, "reason": before.reason})),
                after: Some(json!({"status": "retrying"})),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await?;
        self.reply_unchecked(reply_id).await
    }

    /// After a restart: replies caught mid-send go back in line with the same idempotency key.
    pub async fn recover_interrupted_deliveries(&self) -> CrmResult<u64> {
        let now = to_ms(self.now());
        self.db
            .execute(
                "UPDATE crm_outbox SET status = 'retrying', reason = 'interrupted while sending (restart); retried with the same idempotency key', next_attempt_at = $1, updated_at = $1 WHERE status = 'sending'",
                &vals![now],
            )
            .await
    }

    /// One pass of the delivery worker: claims every reply that is due, sends it, records the
    /// outcome. Replies stuck in `sending` longer than the configured timeout are retried.
    pub async fn deliver_due(
        &self,
        sender: &dyn ReplySender,
        limit: i64,
    ) -> CrmResult<DeliveryReport> {
        let now = self.now();
        let stale = now - Duration::seconds(self.settings.config.delivery.sending_timeout_seconds);
        let rows = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {REPLY_COLUMNS} FROM crm_outbox WHERE status IN ('queued', 'approved')
                        OR (status = 'retrying' AND (next_attempt_at IS NULL OR next_attempt_at <= $1))
                        OR (status = 'sending' AND updated_at <= $2)
                     ORDER BY id LIMIT $3"
                ),
                &vals![to_ms(now), to_ms(stale), limit.clamp(1, 1000)],
            )
            .await?;
        let mut report = DeliveryReport::default();
        for row in &rows {
            let reply = reply_from_row(row)?;
            let claimed = self
                .db
                .execute(
                    "UPDATE crm_outbox SET status = 'sending', attempts = attempts + 1, sending_since = $1, updated_at = $1 WHERE id = $2 AND status = $3 AND updated_at = $4",
                    &vals![to_ms(now), reply.id, reply.status.as_str(), to_ms(reply.updated_at)],
                )
                .await?;
            if claimed == 0 {
                continue;
            }
            let channel = match reply.channel.parse::<Channel>() {
                Ok(channel) => channel,
                Err(error) => {
                    self.record_outcome(
                        &reply,
                        reply.attempts + 1,
                        DeliveryOutcome::Rejected {
                            reason: error.to_string(),
                        },
                        &mut report,
                    )
                    .await?;
                    continue;
                }
            };
            let outgoing = OutgoingReply {
                reply_id: reply.id,
                idempotency_key: reply.idempotency_key.clone(),
                case_id: reply.case_id,
                channel,
                in_reply_to: reply.in_reply_to.clone(),
                recipient: reply.recipient.clone(),
                visibility: reply.visibility,
                body: reply.body.clone(),
                attempt: reply.attempts + 1,
            };
            let outcome = sender.send(&outgoing).await;
            self.record_outcome(&reply, reply.attempts + 1, outcome, &mut report)
                .await?;
        }
        Ok(report)
    }

    async fn record_outcome(
        &self,
        reply: &Reply,
        attempt: i64,
        outcome: DeliveryOutcome,
        report: &mut DeliveryReport,
    ) -> CrmResult<()> {
        let now = self.now();
        let delivery = &self.settings.config.delivery;
        let mut tx = self.db.begin().await?;
        let case = load_case_tx(&mut tx, reply.case_id).await?;
        let (kind, action, data) = match outcome {
            DeliveryOutcome::Delivered { external_id } => {
                tx.execute(
                    "UPDATE crm_outbox SET status = 'delivered', external_id = $1, delivered_at = $2, reason = NULL, updated_at = $2 WHERE id = $3",
                    &vals![external_id.as_str(), to_ms(now), reply.id],
                )
                .await?;
                tx.execute(
                    "INSERT INTO crm_own_replies (channel, external_id, outbox_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    &vals![reply.channel.as_str(), external_id.as_str(), reply.id, to_ms(now)],
                )
                .await?;
                self.record_response_tx(&mut tx, reply.case_id, now).await?;
                if reply.handoff_id.is_some() {
                    tx.execute(
                        "UPDATE crm_case_posts SET taken_private_at = $1 WHERE case_id = $2 AND visibility = 'public' AND taken_private_at IS NULL",
                        &vals![to_ms(now), reply.case_id],
                    )
                    .await?;
                }
                tx.execute(
                    "UPDATE crm_cases SET updated_at = $1, last_activity_at = $1 WHERE id = $2",
                    &vals![to_ms(now), reply.case_id],
                )
                .await?;
                if let Ok(channel) = reply.channel.parse::<Channel>() {
                    self.own_replies.insert(channel, &external_id);
                }
                report.delivered.push(reply.id);
                (
                    "reply_delivered",
                    "reply.delivered",
                    json!({"reply_id": reply.id, "external_id": external_id, "attempt": attempt, "taken_private": reply.handoff_id.is_some()}),
                )
            }
            DeliveryOutcome::Retry {
                reason,
                after_seconds,
            } if attempt < delivery.max_attempts => {
                let asked = Duration::seconds(
                    i64::try_from(after_seconds.unwrap_or(0))
                        .unwrap_or(3600)
                        .min(86_400),
                );
                let next = now + backoff(delivery.base_backoff_seconds, attempt).max(asked);
                tx.execute(
                    "UPDATE crm_outbox SET status = 'retrying', reason = $1, next_attempt_at = $2, updated_at = $3 WHERE id = $4",
                    &vals![reason.as_str(), to_ms(next), to_ms(now), reply.id],
                )
                .await?;
                report.retrying.push(reply.id);
                (
                    "reply_retrying",
                    "reply.retrying",
                    json!({"reply_id": reply.id, "reason": reason, "attempt": attempt, "next_attempt_at": next}),
                )
            }
            DeliveryOutcome::Retry { reason, .. } | DeliveryOutcome::Rejected { reason } => {
                let reason = if attempt >= delivery.max_attempts {
                    format!("{reason} (gave up after {attempt} attempts; a lead can requeue it)")
                } else {
                    reason
                };
                tx.execute(
                    "UPDATE crm_outbox SET status = 'rejected', reason = $1, next_attempt_at = NULL, updated_at = $2 WHERE id = $3",
                    &vals![reason.as_str(), to_ms(now), reply.id],
                )
                .await?;
                report.rejected.push(reply.id);
                (
                    "reply_rejected",
                    "reply.rejected",
                    json!({"reply_id": reply.id, "reason": reason, "attempt": attempt}),
                )
            }
        };
        add_event(&mut tx, reply.case_id, now, None, kind, data.clone()).await?;
        audit::record(
            &mut tx,
            now,
            Change {
                action,
                entity: "reply",
                entity_id: Some(reply.id),
                case_id: Some(reply.case_id),
                customer_id: case.customer_id,
                before: Some(json!({"status": "sending"})),
                after: Some(data),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await
    }

    /// Runs the delivery worker until `shutdown` turns true, polling every `interval`.
    pub async fn run_delivery_worker(
        &self,
        sender: std::sync::Arc<dyn ReplySender>,
        interval: std::time::Duration,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            if let Err(error) = self.deliver_due(sender.as_ref(), 100).await {
                tracing::warn!(%error, "reply delivery pass failed; retrying on the next tick");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Templates, by name.
    pub async fn list_templates(&self, actor: Option<&Actor>) -> CrmResult<Vec<Template>> {
        authorize(actor, Action::Read, Resource::Templates)?;
        self.db
            .fetch_all("SELECT id, name, body, team, created_at, updated_at FROM crm_templates ORDER BY name", &[])
            .await?
            .iter()
            .map(|row| {
                Ok(Template {
                    id: row.int("id")?,
                    name: row.text("name")?,
                    body: row.text("body")?,
                    team: row.opt_text("team")?,
                    created_at: from_ms(row.int("created_at")?),
                    updated_at: from_ms(row.int("updated_at")?),
                })
            })
            .collect()
    }

    /// Creates or replaces a template (leads). The body is checked for syntax now.
    pub async fn save_template(
        &self,
        actor: Option<&Actor>,
        name: &str,
        body: &str,
        team: Option<&str>,
    ) -> CrmResult<Template> {
        authorize(actor, Action::Manage, Resource::Templates)?;
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(CrmError::Invalid(
                "a template needs a name of 1–100 characters".into(),
            ));
        }
        if body.trim().is_empty() {
            return Err(CrmError::Invalid("a template needs a body".into()));
        }
        check_template_syntax(body)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let before = tx
            .fetch_optional(
                "SELECT body, team FROM crm_templates WHERE name = $1",
                &vals![name],
            )
            .await?
            .map(|row| -> CrmResult<Value> {
                Ok(json!({"body": row.text("body")?, "team": row.opt_text("team")?}))
            })
            .transpose()?;
        tx.execute(
            "INSERT INTO crm_templates (name, body, team, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (name) DO UPDATE SET body = excluded.body, team = excluded.team, updated_at = excluded.updated_at",
            &vals![name, body, team, to_ms(now)],
        )
        .await?;
        let row = tx
            .fetch_optional("SELECT id, name, body, team, created_at, updated_at FROM crm_templates WHERE name = $1", &vals![name])
            .await?
            .ok_or_else(|| CrmError::Database("template vanished after saving".into()))?;
        let template = Template {
            id: row.int("id")?,
            name: row.text("name")?,
            body: row.text("body")?,
            team: row.opt_text("team")?,
            created_at: from_ms(row.int("created_at")?),
            updated_at: from_ms(row.int("updated_at")?),
        };
        audit::record(
            &mut tx,
            now,
            Change {
                actor_id: actor.map(|a| a.user_id),
                action: "template.saved",
                entity: "template",
                entity_id: Some(template.id),
                before,
                after: Some(json!({"body": body, "team": team})),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(template)
    }

    /// Renders a template for a preview, with the caller's variables only.
    pub async fn preview_template(
        &self,
        actor: Option<&Actor>,
        name: &str,
        variables: &Map<String, Value>,
    ) -> CrmResult<String> {
        authorize(actor, Action::Read, Resource::Templates)?;
        let row = self
            .db
            .fetch_optional(
                "SELECT body FROM crm_templates WHERE name = $1",
                &vals![name],
            )
            .await?
            .ok_or_else(|| CrmError::NotFound(format!("no template named {name:?}")))?;
        render_template(&row.text("body")?, variables)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approval_is_needed_for_big_audiences_and_legal_cases() {
        let policy = ApprovalConfig {
            followers_above: Some(10_000),
            tags: vec!["legal".into()],
        };
        assert_eq!(approval_reason(&policy, 10_000, &[]), None);
        assert!(
            approval_reason(&policy, 10_001, &[])
                .unwrap()
                .contains("10001 followers")
        );
        assert!(
            approval_reason(&policy, 5, &["legal".into()])
                .unwrap()
                .contains("legal")
        );
        assert_eq!(approval_reason(&policy, 5, &["billing".into()]), None);
        let none = ApprovalConfig {
            followers_above: None,
            tags: vec![],
        };
        assert_eq!(approval_reason(&none, i64::MAX, &["legal".into()]), None);
    }

    #[test]
    fn templates_render_and_refuse_unknown_variables() {
        let mut vars = Map::new();
        vars.insert("customer_name".into(), json!("Amy"));
        assert_eq!(
            render_template("Hi {{ customer_name }}!", &vars).unwrap(),
            "Hi Amy!"
        );
        let err = render_template("Hi {{ nobody }}", &vars).unwrap_err();
        assert!(err.to_string().contains("does not render"), "{err}");
        assert!(check_template_syntax("{% if %}").is_err());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(30, 1), Duration::seconds(30));
        assert_eq!(backoff(30, 2), Duration::seconds(60));
        assert_eq!(backoff(30, 20), Duration::seconds(3600));
    }

    #[test]
    fn statuses_round_trip() {
        for status in ReplyStatus::ALL {
            assert_eq!(status.as_str().parse::<ReplyStatus>().unwrap(), status);
        }
    }
}
