//! The glue between libraries that must not know each other: live connectors hand posts to the
//! pipeline through [`PipelineSink`] (posts and cursor in one transaction), and in the demo
//! [`DemoDelivery`] stands in for the network on channels that have no configured connector.
//! The CRM's own pieces (post hook, own-reply check, connector senders, SLA watch) live in
//! `switchyard_crm::integration`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use switchyard_connectors::{PostSink, ReplySender as _, SinkError, SinkOutcome};
use switchyard_crm::integration::ConnectorSenders;
use switchyard_crm::replies::{DeliveryOutcome, OutgoingReply, ReplySender, SendFuture};
use switchyard_domain::{Channel, NewPost};
use switchyard_pipeline::Pipeline;

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

/// Demo only: replies on channels with a configured connector go out through it; the others are
/// "delivered" to the log with a local id, since the demo has no network.
pub struct DemoDelivery {
    pub senders: ConnectorSenders,
    pub configured: Vec<Channel>,
    pub sequence: AtomicU64,
}

impl DemoDelivery {
    pub fn new(senders: Vec<(String, switchyard_connectors::AnyReplySender)>) -> Self {
        let configured = senders.iter().map(|(_, sender)| sender.channel()).collect();
        DemoDelivery {
            senders: ConnectorSenders::new(senders),
            configured,
            sequence: AtomicU64::new(1),
        }
    }
}

impl ReplySender for DemoDelivery {
    fn send<'a>(&'a self, reply: &'a OutgoingReply) -> SendFuture<'a> {
        if self.configured.contains(&reply.channel) {
            return self.senders.send(reply);
        }
        Box::pin(async move {
            let n = self.sequence.fetch_add(1, Ordering::Relaxed);
            tracing::info!(reply = reply.reply_id, channel = %reply.channel, "demo: reply delivered to the local log (the demo has no network)");
            DeliveryOutcome::Delivered {
                external_id: format!("demo-reply-{}-{n}", reply.reply_id),
            }
        })
    }
}
