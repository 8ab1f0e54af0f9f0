//! The glue between the libraries that must not know each other: connectors hand posts to the
//! pipeline ([`PipelineSink`]), the pipeline hands stored posts to the CRM ([`CaseHook`]), the
//! CRM's outbox hands replies to the connectors' senders ([`OutboxSender`]), and replies we sent
//! are recognised when a connector hears them back (the shared [`SentLedger`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use switchyard_connectors::{
    AnyReplySender, PostSink, ReplySender as ChannelSender, SentLedger, SinkError, SinkOutcome,
};
use switchyard_crm::Crm;
use switchyard_crm::replies::{DeliveryOutcome, OutgoingReply, ReplySender, SendFuture};
use switchyard_domain::{Channel, NewPost, Visibility};
use switchyard_pipeline::{HookFuture, LivePost, Pipeline, PostHook};

/// Live connectors store through the pipeline: posts and cursor in one transaction.
#[derive(Clone)]
pub struct PipelineSink {
    pub pipeline: Arc<Pipeline>,
}

impl PostSink for PipelineSink {
    async fn ingest(
        &self,
        posts: Vec<NewPost>,
        cursor: Option<switchyard_connectors::CursorUpdate>,
    ) -> Result<SinkOutcome, SinkError> {
        let cursor = cursor.map(|c| switchyard_store::CursorUpdate {
            source: c.source,
            cursor: c.cursor,
        });
        let outcome = self
            .pipeline
            .ingest(posts, cursor)
            .await
            .map_err(|error| SinkError::Unavailable(error.to_string()))?;
        Ok(SinkOutcome {
            inserted: outcome.inserted.len() as u64,
            duplicates: outcome.duplicates.len() as u64,
            skipped_own: outcome.own_replies as u64,
        })
    }

    async fn load_cursor(&self, source: &str) -> Result<Option<String>, SinkError> {
        self.pipeline
            .store()
            .get_cursor(source)
            .await
            .map_err(|error| SinkError::Unavailable(error.to_string()))
    }
}

/// Opens or joins a case for every stored post that routing put on a team queue.
pub struct CaseHook {
    pub crm: Crm,
}

impl PostHook for CaseHook {
    fn name(&self) -> &str {
        "crm cases"
    }

    fn on_stored<'a>(&'a self, posts: &'a [LivePost]) -> HookFuture<'a> {
        Box::pin(async move {
            let mut failures = 0usize;
            let mut last_error = String::new();
            for stored in posts {
                if let Err(error) = self
                    .crm
                    .open_or_join_case(&stored.post, &stored.route, Some(&stored.analysis))
                    .await
                {
                    failures += 1;
                    last_error = error.to_string();
                }
            }
            if failures > 0 {
                return Err(format!(
                    "{failures} of {} posts could not be put on a case; last error: {last_error}",
                    posts.len()
                ));
            }
            Ok(())
        })
    }
}

/// Hands outbox replies to the configured channel senders, by channel.
pub struct OutboxSender {
    senders: HashMap<Channel, AnyReplySender>,
    ledger: SentLedger,
    /// Demo mode: channels without a sender "deliver" to a local log instead of a network.
    demo: bool,
    demo_sequence: AtomicU64,
}

impl OutboxSender {
    pub fn new(senders: Vec<(String, AnyReplySender)>, ledger: SentLedger, demo: bool) -> Self {
        let mut by_channel = HashMap::new();
        for (name, sender) in senders {
            let channel = sender.channel();
            if by_channel.insert(channel, sender).is_some() {
                tracing::warn!(connector = %name, %channel, "several reply senders for one channel; the last configured one is used");
            }
        }
        OutboxSender {
            senders: by_channel,
            ledger,
            demo,
            demo_sequence: AtomicU64::new(1),
        }
    }
}

fn to_channel_reply(reply: &OutgoingReply) -> switchyard_connectors::OutgoingReply {
    switchyard_connectors::OutgoingReply {
        channel: reply.channel,
        in_reply_to: reply.in_reply_to.clone(),
        thread: None,
        to: reply.recipient.clone(),
        subject: None,
        text: reply.body.clone(),
        private: reply.visibility == Visibility::Private,
        idempotency_key: reply.idempotency_key.clone(),
    }
}

impl ReplySender for OutboxSender {
    fn send<'a>(&'a self, reply: &'a OutgoingReply) -> SendFuture<'a> {
        Box::pin(async move {
            let Some(sender) = self.senders.get(&reply.channel) else {
                if self.demo {
                    let n = self.demo_sequence.fetch_add(1, Ordering::Relaxed);
                    let external_id = format!("demo-reply-{}-{n}", reply.reply_id);
                    self.ledger.record(reply.channel, &external_id);
                    tracing::info!(reply = reply.reply_id, channel = %reply.channel, "demo: reply delivered to the local log (no network in the demo)");
                    return DeliveryOutcome::Delivered { external_id };
                }
                return DeliveryOutcome::Retry {
                    reason: format!(
                        "no connector that can send on {} is configured; add one to [[connectors]] in switchyard.toml",
                        reply.channel
                    ),
                    after_seconds: Some(300),
                };
            };
            match sender.send(&to_channel_reply(reply)).await {
                switchyard_connectors::DeliveryOutcome::Delivered { external_id } => {
                    self.ledger.record(reply.channel, &external_id);
                    DeliveryOutcome::Delivered { external_id }
                }
                switchyard_connectors::DeliveryOutcome::Retry { reason, after } => {
                    DeliveryOutcome::Retry {
                        reason,
                        after_seconds: after.map(|after| after.as_secs()),
                    }
                }
                switchyard_connectors::DeliveryOutcome::Rejected { reason } => {
                    DeliveryOutcome::Rejected { reason }
                }
            }
        })
    }
}
