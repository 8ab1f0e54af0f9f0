//! Where the CRM plugs into the rest of Switchyard: the pipeline's post hook (routing opens and
//! joins cases), the pipeline's own-reply check (a synchronous, in-memory view of what the outbox
//! delivered), and the connectors' reply senders behind the outbox's [`ReplySender`].

use crate::Crm;
use crate::error::CrmResult;
use crate::replies::{DeliveryOutcome, OutgoingReply, ReplySender, SendFuture};
use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use switchyard_connectors::ReplySender as _;
use switchyard_domain::{Channel, Visibility};
use switchyard_pipeline::{HookFuture, LivePost, PostHook};

/// The `(channel, external id)` of every reply we delivered, for the pipeline's synchronous check.
#[derive(Debug, Clone, Default)]
pub struct OwnReplyCache {
    inner: Arc<RwLock<HashSet<(Channel, String)>>>,
}

impl OwnReplyCache {
    pub fn insert(&self, channel: Channel, external_id: &str) {
        self.inner
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert((channel, external_id.to_string()));
    }

    pub fn contains(&self, channel: Channel, external_id: &str) -> bool {
        self.inner
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(&(channel, external_id.to_string()))
    }

    pub fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Crm {
    /// Loads every delivered reply into the in-memory own-reply set (done by [`Crm::start`]).
    pub async fn load_own_replies(&self) -> CrmResult<usize> {
        let rows = self
            .db
            .fetch_all("SELECT channel, external_id FROM crm_own_replies", &[])
            .await?;
        for row in &rows {
            if let Ok(channel) = row.text("channel")?.parse::<Channel>() {
                self.own_replies.insert(channel, &row.text("external_id")?);
            }
        }
        Ok(self.own_replies.len())
    }

    /// The check the pipeline runs before ingesting a post:
    /// `pipeline.set_own_replies(Arc::new(crm.own_reply_checker()))`.
    pub fn own_reply_checker(&self) -> impl Fn(Channel, &str) -> bool + Send + Sync + 'static {
        let cache = self.own_replies.clone();
        move |channel, external_id| cache.contains(channel, external_id)
    }

    /// The pipeline hook: `pipeline.add_hook(Arc::new(crm.post_hook()))`.
    pub fn post_hook(&self) -> CrmPostHook {
        CrmPostHook { crm: self.clone() }
    }
}

/// Opens or joins a case for every stored post (see [`Crm::open_or_join_case`]).
#[derive(Debug, Clone)]
pub struct CrmPostHook {
    crm: Crm,
}

impl PostHook for CrmPostHook {
    fn name(&self) -> &str {
        "crm"
    }

    fn on_stored<'a>(&'a self, posts: &'a [LivePost]) -> HookFuture<'a> {
        Box::pin(async move {
            let batch: Vec<_> = posts
                .iter()
                .map(|stored| (&stored.post, &stored.route, Some(&stored.analysis)))
                .collect();
            let mut failures = Vec::new();
            for (stored, result) in posts.iter().zip(self.crm.open_or_join_cases(&batch).await) {
                if let Err(error) = result {
                    failures.push(format!("post {}: {error}", stored.post.id));
                }
            }
            if failures.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "the CRM could not file {} of {} posts: {}",
                    failures.len(),
                    posts.len(),
                    failures.join("; ")
                ))
            }
        })
    }
}

/// The connectors' reply senders as one outbox sender, dispatching on the reply's channel.
#[derive(Clone, Default)]
pub struct ConnectorSenders {
    senders: Vec<switchyard_connectors::AnyReplySender>,
}

impl ConnectorSenders {
    /// From `switchyard_connectors::reply_senders(…)` (names are only for logs there).
    pub fn new(senders: Vec<(String, switchyard_connectors::AnyReplySender)>) -> Self {
        ConnectorSenders {
            senders: senders.into_iter().map(|(_, sender)| sender).collect(),
        }
    }
}

impl ReplySender for ConnectorSenders {
    fn send<'a>(&'a self, reply: &'a OutgoingReply) -> SendFuture<'a> {
        Box::pin(async move {
            let Some(sender) = self.senders.iter().find(|s| s.channel() == reply.channel) else {
                return DeliveryOutcome::Retry {
                    reason: format!(
                        "no reply sender is configured for channel {}; add its connector with credentials to the configuration",
                        reply.channel
                    ),
                    after_seconds: Some(600),
                };
            };
            let outgoing = switchyard_connectors::OutgoingReply {
                channel: reply.channel,
                in_reply_to: reply.in_reply_to.clone(),
                thread: None,
                to: reply.recipient.clone(),
                subject: Some(format!("Re: your message (case {})", reply.case_id)),
                text: reply.body.clone(),
                private: reply.visibility == Visibility::Private,
                idempotency_key: reply.idempotency_key.clone(),
            };
            match sender.send(&outgoing).await {
                switchyard_connectors::DeliveryOutcome::Delivered { external_id } => {
                    DeliveryOutcome::Delivered { external_id }
                }
                switchyard_connectors::DeliveryOutcome::Retry { reason, after } => {
                    DeliveryOutcome::Retry {
                        reason,
                        after_seconds: after.map(|d| d.as_secs()),
                    }
                }
                switchyard_connectors::DeliveryOutcome::Rejected { reason } => {
                    DeliveryOutcome::Rejected { reason }
                }
            }
        })
    }
}
