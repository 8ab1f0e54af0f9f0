//! One customer across channels: profiles with linked identities (channel handles, email, phone),
//! the history of their posts and cases, reach. Identities are linked automatically only on strong
//! evidence (the same verified email); weaker evidence becomes a suggestion. Manual merge and
//! unmerge: a merge keeps a snapshot so unmerge restores both profiles exactly; both are audited.

use crate::access::{Action, Actor, Resource, authorize};
use crate::audit::{self, Change};
use crate::db::{DbRow, Tx, Val};
use crate::error::{CrmError, CrmResult};
use crate::{Crm, from_ms, to_ms, vals};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use switchyard_domain::{Channel, Post};

/// What kind of identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityKind {
    /// A handle on a social channel (`channel` says which).
    Handle,
    Email,
    Phone,
}

impl IdentityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Handle => "handle",
            IdentityKind::Email => "email",
            IdentityKind::Phone => "phone",
        }
    }

    fn parse(text: &str) -> CrmResult<Self> {
        match text {
            "handle" => Ok(IdentityKind::Handle),
            "email" => Ok(IdentityKind::Email),
            "phone" => Ok(IdentityKind::Phone),
            other => Err(CrmError::Database(format!(
                "unknown identity kind {other:?} in the database"
            ))),
        }
    }
}

/// A linked identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub id: i64,
    pub kind: IdentityKind,
    /// The channel of a handle; empty for email and phone.
    pub channel: String,
    pub value: String,
    pub verified: bool,
    pub followers: Option<i64>,
}

/// An identity to add to a customer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIdentity {
    pub kind: IdentityKind,
    /// Required for handles (e.g. `mastodon`); ignored for email and phone.
    #[serde(default)]
    pub channel: Option<Channel>,
    pub value: String,
    /// Whether the address was verified (e.g. a confirmed email). Only verified emails auto-link.
    #[serde(default)]
    pub verified: bool,
}

/// A post in a customer's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerPost {
    pub post_id: i64,
    pub channel: String,
    pub external_id: String,
    pub visibility: String,
    pub sentiment: Option<f64>,
    pub created_at: DateTime<Utc>,
}

/// A case in a customer's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerCase {
    pub case_id: i64,
    pub title: String,
    pub team: String,
    pub status: String,
    pub opened_at: DateTime<Utc>,
}

/// Everything known about a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerProfile {
    pub id: i64,
    pub display_name: String,
    /// Largest audience over their identities.
    pub reach: i64,
    /// Set when this profile was merged into another.
    pub merged_into: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub identities: Vec<Identity>,
    pub posts: Vec<CustomerPost>,
    pub cases: Vec<CustomerCase>,
    pub survey_ids: Vec<i64>,
}

/// A possible link two profiles share (same handle on two channels, an unverified email…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSuggestion {
    pub id: i64,
    pub customer_id: i64,
    pub other_customer_id: i64,
    pub reason: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// What adding an identity did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum IdentityOutcome {
    Added {
        identity: Identity,
    },
    /// The same verified email was on another profile: the two were merged (reversibly).
    AutoMerged {
        merge_id: i64,
        survivor_id: i64,
    },
    /// The identity belongs to another profile; a suggestion was recorded for a person to decide.
    Suggested {
        suggestion: LinkSuggestion,
    },
    AlreadyLinked {
        identity: Identity,
    },
}

/// A merge record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Merge {
    pub id: i64,
    pub survivor_id: i64,
    pub merged_id: i64,
    pub reason: String,
    pub merged_by: Option<i64>,
    pub merged_at: DateTime<Utc>,
    pub unmerged_by: Option<i64>,
    pub unmerged_at: Option<DateTime<Utc>>,
}

/// Who a post was attributed to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResolvedCustomer {
    pub customer_id: i64,
    pub identity_id: i64,
    pub created_customer: bool,
    pub post_id: i64,
}

/// The identity a post's author is known by: email and phone channels by address, others by
/// channel handle.
pub fn identity_of_post(post: &Post) -> (IdentityKind, String, String) {
    let handle = post.post.author.handle.trim();
    match post.post.channel {
        Channel::Email => (IdentityKind::Email, String::new(), normalize_email(handle)),
        Channel::Sms | Channel::Phone => {
            (IdentityKind::Phone, String::new(), normalize_phone(handle))
        }
        other => (
            IdentityKind::Handle,
            other.as_str().to_string(),
            handle.trim_start_matches('@').to_lowercase(),
        ),
    }
}

pub fn normalize_email(address: &str) -> String {
    let address = address.trim();
    // "Amy <amy@example.com>" → amy@example.com
    let inner = match (address.rfind('<'), address.rfind('>')) {
        (Some(start), Some(end)) if end > start => &address[start + 1..end],
        _ => address,
    };
    inner.trim().to_lowercase()
}

pub fn normalize_phone(number: &str) -> String {
    let mut out = String::new();
    for (index, c) in number.trim().chars().enumerate() {
        if c.is_ascii_digit() || (c == '+' && index == 0) {
            out.push(c);
        }
    }
    out
}

fn identity_from_row(row: &DbRow) -> CrmResult<Identity> {
    Ok(Identity {
        id: row.int("id")?,
        kind: IdentityKind::parse(&row.text("kind")?)?,
        channel: row.text("channel")?,
        value: row.text("value")?,
        verified: row.flag("verified")?,
        followers: row.opt_int("followers")?,
    })
}

pub(crate) async fn load_customer_row(tx: &mut Tx, customer_id: i64) -> CrmResult<DbRow> {
    tx.fetch_optional(
        "SELECT id, display_name, reach, merged_into, created_at, updated_at FROM crm_customers WHERE id = $1",
        &vals![customer_id],
    )
    .await?
    .ok_or_else(|| CrmError::NotFound(format!("no customer with id {customer_id}")))
}

async fn refresh_reach(tx: &mut Tx, customer_id: i64, now: DateTime<Utc>) -> CrmResult<()> {
    tx.execute(
        "UPDATE crm_customers SET reach = COALESCE((SELECT MAX(followers) FROM crm_identities WHERE customer_id = $1), 0), updated_at = $2 WHERE id = $1",
        &vals![customer_id, to_ms(now)],
    )
    .await?;
    Ok(())
}

/// Finds or creates the customer behind a post's author and records the post in their history.
pub(crate) async fn resolve_post_customer(
    tx: &mut Tx,
    post: &Post,
    sentiment: Option<f64>,
    now: DateTime<Utc>,
) -> CrmResult<ResolvedCustomer> {
    let (kind, channel, value) = identity_of_post(post);
    if value.is_empty() {
        return Err(CrmError::Invalid(format!(
            "post {} has no author handle; the CRM cannot attribute it to a customer",
            post.id
        )));
    }
    let followers = post
        .post
        .author
        .followers
        .map(|f| i64::try_from(f).unwrap_or(i64::MAX));
    let existing = tx
        .fetch_optional(
            "SELECT id, customer_id FROM crm_identities WHERE kind = $1 AND channel = $2 AND value = $3",
            &vals![kind.as_str(), channel.as_str(), value.as_str()],
        )
        .await?;
    let (customer_id, identity_id, created_customer) = match existing {
        Some(row) => {
            let identity_id = row.int("id")?;
            let customer_id = row.int("customer_id")?;
            if let Some(followers) = followers {
                tx.execute(
                    "UPDATE crm_identities SET followers = $1 WHERE id = $2",
                    &vals![followers, identity_id],
                )
                .await?;
                refresh_reach(tx, customer_id, now).await?;
            }
            (customer_id, identity_id, false)
        }
        None => {
            let name = post
                .post
                .author
                .display_name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| post.post.author.handle.clone());
            let customer_id = tx
                .insert_returning_id(
                    "INSERT INTO crm_customers (display_name, reach, merged_into, created_at, updated_at) VALUES ($1, $2, NULL, $3, $3) RETURNING id",
                    &vals![name, followers.unwrap_or(0), to_ms(now)],
                )
                .await?;
            let identity_id = tx
                .insert_returning_id(
                    "INSERT INTO crm_identities (customer_id, kind, channel, value, verified, followers, created_at) VALUES ($1, $2, $3, $4, 0, $5, $6) RETURNING id",
                    &vals![customer_id, kind.as_str(), channel.as_str(), value.as_str(), followers, to_ms(now)],
                )
                .await?;
            // The same handle on another channel is a hint, not proof: suggest, never link.
            if kind == IdentityKind::Handle {
                let others = tx
                    .fetch_all(
                        "SELECT DISTINCT customer_id FROM crm_identities WHERE kind = 'handle' AND value = $1 AND channel <> $2 AND customer_id <> $3",
                        &vals![value.as_str(), channel.as_str(), customer_id],
                    )
                    .await?;
                for other in &others {
                    suggest_tx(
                        tx,
                        customer_id,
                        other.int("customer_id")?,
                        &format!("same handle {value:?} on {channel} and another channel"),
                        now,
                    )
                    .await?;
                }
            }
            (customer_id, identity_id, true)
        }
    };
    tx.execute(
        "INSERT INTO crm_customer_posts (post_id, customer_id, identity_id, channel, external_id, visibility, sentiment, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (post_id) DO NOTHING",
        &vals![
            post.id,
            customer_id,
            identity_id,
            post.post.channel.as_str(),
            post.post.external_id.as_str(),
            post.post.visibility.as_str(),
            sentiment,
            to_ms(post.post.created_at),
        ],
    )
    .await?;
    Ok(ResolvedCustomer {
        customer_id,
        identity_id,
        created_customer,
        post_id: post.id,
    })
}

async fn suggest_tx(
    tx: &mut Tx,
    customer_id: i64,
    other_customer_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> CrmResult<Option<i64>> {
    let (low, high) = if customer_id < other_customer_id {
        (customer_id, other_customer_id)
    } else {
        (other_customer_id, customer_id)
    };
    tx.execute(
        "INSERT INTO crm_link_suggestions (customer_id, other_customer_id, reason, status, created_at) VALUES ($1, $2, $3, 'open', $4) ON CONFLICT (customer_id, other_customer_id) DO NOTHING",
        &vals![low, high, reason, to_ms(now)],
    )
    .await?;
    let row = tx
        .fetch_optional(
            "SELECT id FROM crm_link_suggestions WHERE customer_id = $1 AND other_customer_id = $2",
            &vals![low, high],
        )
        .await?;
    row.map(|r| r.int("id")).transpose()
}

/// Moves the identity a hand-off answer came from onto the case's customer. A profile created just
/// now for this one message is folded in; an older, separate profile is only suggested.
pub(crate) async fn attach_identity_to(
    tx: &mut Tx,
    resolved: &ResolvedCustomer,
    target_customer: i64,
    case_id: i64,
    now: DateTime<Utc>,
) -> CrmResult<i64> {
    if !resolved.created_customer {
        suggest_tx(
            tx,
            resolved.customer_id,
            target_customer,
            &format!("answered the hand-off of case {case_id}"),
            now,
        )
        .await?;
        return Ok(target_customer);
    }
    tx.execute(
        "UPDATE crm_identities SET customer_id = $1 WHERE id = $2",
        &vals![target_customer, resolved.identity_id],
    )
    .await?;
    tx.execute(
        "UPDATE crm_customer_posts SET customer_id = $1 WHERE customer_id = $2",
        &vals![target_customer, resolved.customer_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM crm_link_suggestions WHERE customer_id = $1 OR other_customer_id = $1",
        &vals![resolved.customer_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM crm_customers WHERE id = $1",
        &vals![resolved.customer_id],
    )
    .await?;
    refresh_reach(tx, target_customer, now).await?;
    audit::record(
        tx,
        now,
        Change {
            action: "customer.identity_linked",
            entity: "identity",
            entity_id: Some(resolved.identity_id),
            case_id: Some(case_id),
            customer_id: Some(target_customer),
            after: Some(json!({"identity_id": resolved.identity_id, "reason": format!("private message answered the hand-off of case {case_id}")})),
            ..Change::default()
        },
    )
    .await?;
    Ok(target_customer)
}

fn merge_from_row(row: &DbRow) -> CrmResult<Merge> {
    Ok(Merge {
        id: row.int("id")?,
        survivor_id: row.int("survivor_id")?,
        merged_id: row.int("merged_id")?,
        reason: row.text("reason")?,
        merged_by: row.opt_int("merged_by")?,
        merged_at: from_ms(row.int("merged_at")?),
        unmerged_by: row.opt_int("unmerged_by")?,
        unmerged_at: row.opt_int("unmerged_at")?.map(from_ms),
    })
}

async fn ids(tx: &mut Tx, sql: &str, customer_id: i64, column: &str) -> CrmResult<Vec<i64>> {
    tx.fetch_all(sql, &vals![customer_id])
        .await?
        .iter()
        .map(|row| row.int(column))
        .collect()
}

fn id_list(value: &Value, key: &str) -> Vec<i64> {
    value[key]
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

async fn move_ids(
    tx: &mut Tx,
    table: &str,
    id_column: &str,
    ids: &[i64],
    to: i64,
) -> CrmResult<()> {
    for id in ids {
        tx.execute(
            &format!("UPDATE {table} SET customer_id = $1 WHERE {id_column} = $2"),
            &vals![to, *id],
        )
        .await?;
    }
    Ok(())
}

impl Crm {
    /// A customer's profile with identities and history (a merged profile's own remains).
    pub async fn customer(
        &self,
        actor: Option<&Actor>,
        customer_id: i64,
    ) -> CrmResult<CustomerProfile> {
        authorize(actor, Action::Read, Resource::Customers)?;
        self.customer_profile(customer_id).await
    }

    pub(crate) async fn customer_profile(&self, customer_id: i64) -> CrmResult<CustomerProfile> {
        let mut tx = self.db.begin().await?;
        let row = load_customer_row(&mut tx, customer_id).await?;
        let identities = tx
            .fetch_all(
                "SELECT id, kind, channel, value, verified, followers FROM crm_identities WHERE customer_id = $1 ORDER BY id",
                &vals![customer_id],
            )
            .await?
            .iter()
            .map(identity_from_row)
            .collect::<CrmResult<Vec<_>>>()?;
        let posts = tx
            .fetch_all(
                "SELECT post_id, channel, external_id, visibility, sentiment, created_at FROM crm_customer_posts WHERE customer_id = $1 ORDER BY created_at, post_id",
                &vals![customer_id],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(CustomerPost {
                    post_id: r.int("post_id")?,
                    channel: r.text("channel")?,
                    external_id: r.text("external_id")?,
                    visibility: r.text("visibility")?,
                    sentiment: r.opt_float("sentiment")?,
                    created_at: from_ms(r.int("created_at")?),
                })
            })
            .collect::<CrmResult<Vec<_>>>()?;
        let cases = tx
            .fetch_all(
                "SELECT id, title, team, status, opened_at FROM crm_cases WHERE customer_id = $1 ORDER BY id",
                &vals![customer_id],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(CustomerCase {
                    case_id: r.int("id")?,
                    title: r.text("title")?,
                    team: r.text("team")?,
                    status: r.text("status")?,
                    opened_at: from_ms(r.int("opened_at")?),
                })
            })
            .collect::<CrmResult<Vec<_>>>()?;
        let survey_ids = ids(
            &mut tx,
            "SELECT id FROM crm_surveys WHERE customer_id = $1 ORDER BY id",
            customer_id,
            "id",
        )
        .await?;
        tx.commit().await?;
        Ok(CustomerProfile {
            id: row.int("id")?,
            display_name: row.text("display_name")?,
            reach: row.int("reach")?,
            merged_into: row.opt_int("merged_into")?,
            created_at: from_ms(row.int("created_at")?),
            updated_at: from_ms(row.int("updated_at")?),
            identities,
            posts,
            cases,
            survey_ids,
        })
    }

    /// Customers whose name or identity contains `text` (case-insensitive), merged ones left out.
    pub async fn search_customers(
        &self,
        actor: Option<&Actor>,
        text: &str,
        limit: i64,
    ) -> CrmResult<Vec<CustomerProfile>> {
        authorize(actor, Action::Read, Resource::Customers)?;
        let pattern = format!("%{}%", text.trim().to_lowercase());
        let rows = self
            .db
            .fetch_all(
                "SELECT DISTINCT c.id FROM crm_customers c LEFT JOIN crm_identities i ON i.customer_id = c.id
                 WHERE c.merged_into IS NULL AND (LOWER(c.display_name) LIKE $1 OR i.value LIKE $1) ORDER BY c.id LIMIT $2",
                &vals![pattern, limit.clamp(1, 500)],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.customer_profile(row.int("id")?).await?);
        }
        Ok(out)
    }

    /// Adds an identity. If another profile already has it: the same verified email on both sides
    /// merges the two (reversibly, audited); anything weaker records a suggestion instead.
    pub async fn add_identity(
        &self,
        actor: Option<&Actor>,
        customer_id: i64,
        new: &NewIdentity,
    ) -> CrmResult<IdentityOutcome> {
        authorize(actor, Action::Write, Resource::Customers)?;
        let (channel, value) = match new.kind {
            IdentityKind::Handle => {
                let Some(channel) = new.channel else {
                    return Err(CrmError::Invalid(
                        "a handle needs its channel (e.g. \"mastodon\")".into(),
                    ));
                };
                (
                    channel.as_str().to_string(),
                    new.value.trim().trim_start_matches('@').to_lowercase(),
                )
            }
            IdentityKind::Email => {
                let email = normalize_email(&new.value);
                if !email.contains('@') || email.len() < 3 {
                    return Err(CrmError::Invalid(format!(
                        "{:?} is not an email address",
                        new.value
                    )));
                }
                (String::new(), email)
            }
            IdentityKind::Phone => {
                let phone = normalize_phone(&new.value);
                if phone.trim_start_matches('+').len() < 5 {
                    return Err(CrmError::Invalid(format!(
                        "{:?} is not a phone number",
                        new.value
                    )));
                }
                (String::new(), phone)
            }
        };
        if value.is_empty() {
            return Err(CrmError::Invalid("the identity value is empty".into()));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let row = load_customer_row(&mut tx, customer_id).await?;
        if let Some(into) = row.opt_int("merged_into")? {
            return Err(CrmError::Conflict(format!(
                "customer {customer_id} was merged into {into}; add the identity there"
            )));
        }
        let existing = tx
            .fetch_optional(
                "SELECT id, customer_id, kind, channel, value, verified, followers FROM crm_identities WHERE kind = $1 AND channel = $2 AND value = $3",
                &vals![new.kind.as_str(), channel.as_str(), value.as_str()],
            )
            .await?;
        if let Some(existing) = existing {
            let identity = identity_from_row(&existing)?;
            let owner = existing.int("customer_id")?;
            if owner == customer_id {
                if new.verified && !identity.verified {
                    tx.execute(
                        "UPDATE crm_identities SET verified = 1 WHERE id = $1",
                        &vals![identity.id],
                    )
                    .await?;
                    tx.commit().await?;
                }
                return Ok(IdentityOutcome::AlreadyLinked { identity });
            }
            if new.kind == IdentityKind::Email && new.verified && identity.verified {
                tx.commit().await?;
                let (survivor, merged) = if owner < customer_id {
                    (owner, customer_id)
                } else {
                    (customer_id, owner)
                };
                let merge = self
                    .merge_unchecked(
                        actor.map(|a| a.user_id),
                        survivor,
                        merged,
                        &format!("same verified email {value}"),
                    )
                    .await?;
                return Ok(IdentityOutcome::AutoMerged {
                    merge_id: merge.id,
                    survivor_id: survivor,
                });
            }
            let suggestion_id = suggest_tx(
                &mut tx,
                customer_id,
                owner,
                &format!(
                    "both claim {} {value:?}, not verified on both sides",
                    new.kind.as_str()
                ),
                now,
            )
            .await?;
            tx.commit().await?;
            let suggestion = self
                .suggestions_where("id = $1", suggestion_id.unwrap_or(-1))
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    CrmError::Database("a suggestion was written but cannot be read".into())
                })?;
            return Ok(IdentityOutcome::Suggested { suggestion });
        }
        let id = tx
            .insert_returning_id(
                "INSERT INTO crm_identities (customer_id, kind, channel, value, verified, followers, created_at) VALUES ($1, $2, $3, $4, $5, NULL, $6) RETURNING id",
                &vals![customer_id, new.kind.as_str(), channel.as_str(), value.as_str(), new.verified, to_ms(now)],
            )
            .await?;
        let identity = Identity {
            id,
            kind: new.kind,
            channel,
            value,
            verified: new.verified,
            followers: None,
        };
        audit::record(
            &mut tx,
            now,
            Change {
                actor_id: actor.map(|a| a.user_id),
                action: "customer.identity_added",
                entity: "identity",
                entity_id: Some(id),
                customer_id: Some(customer_id),
                after: Some(json!(identity)),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(IdentityOutcome::Added { identity })
    }

    async fn suggestions_where(&self, clause: &str, value: i64) -> CrmResult<Vec<LinkSuggestion>> {
        self.db
            .fetch_all(
                &format!("SELECT id, customer_id, other_customer_id, reason, status, created_at FROM crm_link_suggestions WHERE {clause} ORDER BY id"),
                &[Val::from(value)],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(LinkSuggestion {
                    id: r.int("id")?,
                    customer_id: r.int("customer_id")?,
                    other_customer_id: r.int("other_customer_id")?,
                    reason: r.text("reason")?,
                    status: r.text("status")?,
                    created_at: from_ms(r.int("created_at")?),
                })
            })
            .collect()
    }

    /// Open link suggestions involving a customer.
    pub async fn link_suggestions(
        &self,
        actor: Option<&Actor>,
        customer_id: i64,
    ) -> CrmResult<Vec<LinkSuggestion>> {
        authorize(actor, Action::Read, Resource::Customers)?;
        self.suggestions_where(
            "(customer_id = $1 OR other_customer_id = $1) AND status = 'open'",
            customer_id,
        )
        .await
    }

    /// Merges `merged` into `survivor` (leads): identities, posts, cases and surveys move over;
    /// the snapshot kept with the merge lets [`Crm::unmerge_customers`] undo it exactly.
    pub async fn merge_customers(
        &self,
        actor: Option<&Actor>,
        survivor: i64,
        merged: i64,
        reason: &str,
    ) -> CrmResult<Merge> {
        authorize(actor, Action::Manage, Resource::Customers)?;
        self.merge_unchecked(actor.map(|a| a.user_id), survivor, merged, reason)
            .await
    }

    async fn merge_unchecked(
        &self,
        actor_id: Option<i64>,
        survivor: i64,
        merged: i64,
        reason: &str,
    ) -> CrmResult<Merge> {
        if survivor == merged {
            return Err(CrmError::Invalid(
                "a customer cannot be merged into itself".into(),
            ));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let survivor_row = load_customer_row(&mut tx, survivor).await?;
        let merged_row = load_customer_row(&mut tx, merged).await?;
        for (id, row) in [(survivor, &survivor_row), (merged, &merged_row)] {
            if let Some(into) = row.opt_int("merged_into")? {
                return Err(CrmError::Conflict(format!(
                    "customer {id} was already merged into {into}; merge with {into} instead"
                )));
            }
        }
        let row_json = |row: &DbRow| -> CrmResult<Value> {
            Ok(json!({
                "display_name": row.text("display_name")?,
                "reach": row.int("reach")?,
                "updated_at": row.int("updated_at")?,
            }))
        };
        let identities = ids(
            &mut tx,
            "SELECT id FROM crm_identities WHERE customer_id = $1",
            merged,
            "id",
        )
        .await?;
        let posts = ids(
            &mut tx,
            "SELECT post_id FROM crm_customer_posts WHERE customer_id = $1",
            merged,
            "post_id",
        )
        .await?;
        let cases = ids(
            &mut tx,
            "SELECT id FROM crm_cases WHERE customer_id = $1",
            merged,
            "id",
        )
        .await?;
        let surveys = ids(
            &mut tx,
            "SELECT id FROM crm_surveys WHERE customer_id = $1",
            merged,
            "id",
        )
        .await?;
        let handoffs = ids(
            &mut tx,
            "SELECT id FROM crm_handoffs WHERE customer_id = $1",
            merged,
            "id",
        )
        .await?;
        let snapshot = json!({
            "survivor": row_json(&survivor_row)?,
            "merged": row_json(&merged_row)?,
            "identities": identities,
            "posts": posts,
            "cases": cases,
            "surveys": surveys,
            "handoffs": handoffs,
        });
        move_ids(&mut tx, "crm_identities", "id", &identities, survivor).await?;
        move_ids(&mut tx, "crm_customer_posts", "post_id", &posts, survivor).await?;
        move_ids(&mut tx, "crm_cases", "id", &cases, survivor).await?;
        move_ids(&mut tx, "crm_surveys", "id", &surveys, survivor).await?;
        move_ids(&mut tx, "crm_handoffs", "id", &handoffs, survivor).await?;
        tx.execute(
            "UPDATE crm_customers SET merged_into = $1, updated_at = $2 WHERE id = $3",
            &vals![survivor, to_ms(now), merged],
        )
        .await?;
        tx.execute(
            "UPDATE crm_customers SET reach = CASE WHEN reach > $1 THEN reach ELSE $1 END, updated_at = $2 WHERE id = $3",
            &vals![merged_row.int("reach")?, to_ms(now), survivor],
        )
        .await?;
        let (low, high) = (survivor.min(merged), survivor.max(merged));
        tx.execute(
            "UPDATE crm_link_suggestions SET status = 'merged' WHERE customer_id = $1 AND other_customer_id = $2",
            &vals![low, high],
        )
        .await?;
        let merge_id = tx
            .insert_returning_id(
                "INSERT INTO crm_merges (survivor_id, merged_id, snapshot, reason, merged_by, merged_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &vals![survivor, merged, snapshot.to_string(), reason, actor_id, to_ms(now)],
            )
            .await?;
        for customer_id in [survivor, merged] {
            audit::record(
                &mut tx,
                now,
                Change {
                    actor_id,
                    action: "customer.merged",
                    entity: "merge",
                    entity_id: Some(merge_id),
                    customer_id: Some(customer_id),
                    before: Some(snapshot.clone()),
                    after: Some(
                        json!({"survivor_id": survivor, "merged_id": merged, "reason": reason}),
                    ),
                    ..Change::default()
                },
            )
            .await?;
        }
        let row = tx
            .fetch_optional("SELECT * FROM crm_merges WHERE id = $1", &vals![merge_id])
            .await?
            .ok_or_else(|| CrmError::Database("merge record vanished".into()))?;
        let merge = merge_from_row(&row)?;
        tx.commit().await?;
        Ok(merge)
    }

    /// Undoes a merge (leads): both profiles return to exactly what they were, and posts heard
    /// since through the merged profile's identities go back with them.
    pub async fn unmerge_customers(
        &self,
        actor: Option<&Actor>,
        merge_id: i64,
    ) -> CrmResult<Merge> {
        authorize(actor, Action::Manage, Resource::Customers)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let row = tx
            .fetch_optional("SELECT * FROM crm_merges WHERE id = $1", &vals![merge_id])
            .await?
            .ok_or_else(|| CrmError::NotFound(format!("no merge with id {merge_id}")))?;
        let merge = merge_from_row(&row)?;
        if merge.unmerged_at.is_some() {
            return Err(CrmError::Conflict(format!(
                "merge {merge_id} was already undone"
            )));
        }
        let survivor_row = load_customer_row(&mut tx, merge.survivor_id).await?;
        if let Some(into) = survivor_row.opt_int("merged_into")? {
            return Err(CrmError::Conflict(format!(
                "customer {} was merged into {into} afterwards; undo that merge first",
                merge.survivor_id
            )));
        }
        let snapshot: Value = row.json("snapshot")?;
        let identities = id_list(&snapshot, "identities");
        move_ids(
            &mut tx,
            "crm_identities",
            "id",
            &identities,
            merge.merged_id,
        )
        .await?;
        move_ids(
            &mut tx,
            "crm_customer_posts",
            "post_id",
            &id_list(&snapshot, "posts"),
            merge.merged_id,
        )
        .await?;
        for identity in &identities {
            tx.execute(
                "UPDATE crm_customer_posts SET customer_id = $1 WHERE identity_id = $2",
                &vals![merge.merged_id, *identity],
            )
            .await?;
        }
        move_ids(
            &mut tx,
            "crm_cases",
            "id",
            &id_list(&snapshot, "cases"),
            merge.merged_id,
        )
        .await?;
        move_ids(
            &mut tx,
            "crm_surveys",
            "id",
            &id_list(&snapshot, "surveys"),
            merge.merged_id,
        )
        .await?;
        move_ids(
            &mut tx,
            "crm_handoffs",
            "id",
            &id_list(&snapshot, "handoffs"),
            merge.merged_id,
        )
        .await?;
        for (customer_id, key, merged_into) in [
            (merge.survivor_id, "survivor", None),
            (merge.merged_id, "merged", None::<i64>),
        ] {
            let saved = &snapshot[key];
            tx.execute(
                "UPDATE crm_customers SET display_name = $1, reach = $2, updated_at = $3, merged_into = $4 WHERE id = $5",
                &vals![
                    saved["display_name"].as_str().unwrap_or_default(),
                    saved["reach"].as_i64().unwrap_or(0),
                    saved["updated_at"].as_i64().unwrap_or_else(|| to_ms(now)),
                    merged_into,
                    customer_id,
                ],
            )
            .await?;
        }
        let (low, high) = (
            merge.survivor_id.min(merge.merged_id),
            merge.survivor_id.max(merge.merged_id),
        );
        tx.execute(
            "UPDATE crm_link_suggestions SET status = 'open' WHERE customer_id = $1 AND other_customer_id = $2 AND status = 'merged'",
            &vals![low, high],
        )
        .await?;
        tx.execute(
            "UPDATE crm_merges SET unmerged_by = $1, unmerged_at = $2 WHERE id = $3",
            &vals![actor.map(|a| a.user_id), to_ms(now), merge_id],
        )
        .await?;
        for customer_id in [merge.survivor_id, merge.merged_id] {
            audit::record(
                &mut tx,
                now,
                Change {
                    actor_id: actor.map(|a| a.user_id),
                    action: "customer.unmerged",
                    entity: "merge",
                    entity_id: Some(merge_id),
                    customer_id: Some(customer_id),
                    before: Some(
                        json!({"survivor_id": merge.survivor_id, "merged_id": merge.merged_id}),
                    ),
                    after: Some(snapshot.clone()),
                    ..Change::default()
                },
            )
            .await?;
        }
        let row = tx
            .fetch_optional("SELECT * FROM crm_merges WHERE id = $1", &vals![merge_id])
            .await?
            .ok_or_else(|| CrmError::Database("merge record vanished".into()))?;
        let merge = merge_from_row(&row)?;
        tx.commit().await?;
        Ok(merge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_numbers_are_normalized() {
        assert_eq!(
            normalize_email(" Amy <Amy@Example.COM> "),
            "amy@example.com"
        );
        assert_eq!(normalize_email("bob@x.org"), "bob@x.org");
        assert_eq!(normalize_phone("+49 (30) 1234-567"), "+49301234567");
        assert_eq!(normalize_phone("030 1234+5"), "03012345");
    }
}
