//! The scale-out ingest log: posts are published to a NATS JetStream stream (one subject per
//! channel) by any API node or connector, and consumed by any number of stateless workers sharing
//! one durable pull consumer. JetStream stores messages on disk until a worker acknowledges them,
//! and a worker acknowledges only after the store has committed the batch, so a crashed worker's
//! posts are redelivered to another. The store's `(channel, external_id)` uniqueness makes
//! redelivery harmless, and JetStream's `Nats-Msg-Id` de-duplication drops the same post published
//! twice within the stream's duplicate window.

use async_nats::HeaderMap;
use async_nats::jetstream::{self, AckKind, consumer::PullConsumer, stream};
use futures_util::StreamExt;
use std::future::Future;
use std::time::Duration;
use switchyard_domain::NewPost;

/// Errors talking to NATS, with what to check.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error(
        "cannot connect to NATS at {url}: {source}; is nats-server running with JetStream (-js)?"
    )]
    Connect {
        url: String,
        source: async_nats::ConnectError,
    },
    #[error("JetStream {action} failed: {message}")]
    JetStream {
        action: &'static str,
        message: String,
    },
    #[error("cannot encode post {external_id}: {source}")]
    Encode {
        external_id: String,
        source: serde_json::Error,
    },
}

fn js_error(action: &'static str) -> impl Fn(&dyn std::fmt::Display) -> BusError {
    move |error| BusError::JetStream {
        action,
        message: error.to_string(),
    }
}

/// A handle on the ingest stream.
#[derive(Clone)]
pub struct Bus {
    jetstream: jetstream::Context,
    stream_name: String,
    subject_prefix: String,
}

/// What one consume round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ConsumeStats {
    /// Posts handed to the handler and acknowledged.
    pub acked: u64,
    /// Messages that are not posts: terminated (never redelivered) and logged.
    pub malformed: u64,
    /// Posts whose batch failed in the handler: negatively acknowledged for redelivery.
    pub retried: u64,
}

impl Bus {
    /// Connects and makes sure the stream `stream_name` exists, capturing `<prefix>.>` where the
    /// prefix is the stream name in lowercase.
    pub async fn connect(url: &str, stream_name: &str) -> Result<Bus, BusError> {
        let client = async_nats::connect(url)
            .await
            .map_err(|source| BusError::Connect {
                url: url.to_string(),
                source,
            })?;
        let jetstream = jetstream::new(client);
        let subject_prefix = stream_name.to_ascii_lowercase();
        jetstream
            .get_or_create_stream(stream::Config {
                name: stream_name.to_string(),
                subjects: vec![format!("{subject_prefix}.>")],
                storage: stream::StorageType::File,
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .map_err(|e| js_error("stream creation")(&e))?;
        Ok(Bus {
            jetstream,
            stream_name: stream_name.to_string(),
            subject_prefix,
        })
    }

    /// The subject a post is published on: `<prefix>.posts.<channel>`.
    pub fn subject(&self, post: &NewPost) -> String {
        format!("{}.posts.{}", self.subject_prefix, post.channel.as_str())
    }

    /// Publishes posts and waits until JetStream has stored every one (durable before we answer).
    /// Returns how many JetStream stored as new (not duplicates within its window).
    pub async fn publish(&self, posts: &[NewPost]) -> Result<usize, BusError> {
        let mut acks = Vec::with_capacity(posts.len());
        for post in posts {
            let payload = serde_json::to_vec(post).map_err(|source| BusError::Encode {
                external_id: post.external_id.clone(),
                source,
            })?;
            let mut headers = HeaderMap::new();
            headers.insert(
                "Nats-Msg-Id",
                format!("{}:{}", post.channel.as_str(), post.external_id).as_str(),
            );
            let ack = self
                .jetstream
                .publish_with_headers(self.subject(post), headers, payload.into())
                .await
                .map_err(|e| js_error("publish")(&e))?;
            acks.push(ack);
        }
        let mut stored = 0;
        for ack in acks {
            let ack = ack
                .await
                .map_err(|e| js_error("publish acknowledgement")(&e))?;
            if !ack.duplicate {
                stored += 1;
            }
        }
        Ok(stored)
    }

    async fn consumer(&self, durable: &str) -> Result<PullConsumer, BusError> {
        let stream = self
            .jetstream
            .get_stream(&self.stream_name)
            .await
            .map_err(|e| js_error("stream lookup")(&e))?;
        stream
            .get_or_create_consumer(
                durable,
                jetstream::consumer::pull::Config {
                    durable_name: Some(durable.to_string()),
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    ack_wait: Duration::from_secs(60),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| js_error("consumer creation")(&e))
    }

    /// Fetches up to `batch` messages (waiting at most `wait`), hands the posts to `handler` as one
    /// batch, and acknowledges them only if it succeeds. Workers sharing `durable` split the work.
    pub async fn consume_once<F, Fut, E>(
        &self,
        durable: &str,
        batch: usize,
        wait: Duration,
        handler: F,
    ) -> Result<ConsumeStats, BusError>
    where
        F: FnOnce(Vec<NewPost>) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let consumer = self.consumer(durable).await?;
        let mut messages = consumer
            .fetch()
            .max_messages(batch)
            .expires(wait)
            .messages()
            .await
            .map_err(|e| js_error("fetch")(&e))?;
        let mut stats = ConsumeStats::default();
        let mut posts = Vec::new();
        let mut pending = Vec::new();
        while let Some(message) = messages.next().await {
            let message = message.map_err(|e| js_error("receive")(&e))?;
            match serde_json::from_slice::<NewPost>(&message.payload) {
                Ok(post) => {
                    posts.push(post);
                    pending.push(message);
                }
                Err(error) => {
                    tracing::warn!(subject = %message.subject, %error, "bus message is not a post; dropping it");
                    message
                        .ack_with(AckKind::Term)
                        .await
                        .map_err(|e| js_error("terminate")(&e))?;
                    stats.malformed += 1;
                }
            }
        }
        if posts.is_empty() {
            return Ok(stats);
        }
        let count = posts.len() as u64;
        match handler(posts).await {
            Ok(()) => {
                for message in pending {
                    message
                        .double_ack()
                        .await
                        .map_err(|e| js_error("acknowledge")(&e))?;
                }
                stats.acked = count;
            }
            Err(error) => {
                tracing::warn!(%error, count, "ingest failed; posts will be redelivered");
                for message in pending {
                    message
                        .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                        .await
                        .map_err(|e| js_error("negative acknowledge")(&e))?;
                }
                stats.retried = count;
            }
        }
        Ok(stats)
    }

    /// Messages stored in the stream and not yet removed.
    pub async fn stored_messages(&self) -> Result<u64, BusError> {
        let mut stream = self
            .jetstream
            .get_stream(&self.stream_name)
            .await
            .map_err(|e| js_error("stream lookup")(&e))?;
        let info = stream
            .info()
            .await
            .map_err(|e| js_error("stream info")(&e))?;
        Ok(info.state.messages)
    }

    /// Deletes the stream and everything in it (tests, and `switchyard bus reset`).
    pub async fn delete(self) -> Result<(), BusError> {
        self.jetstream
            .delete_stream(&self.stream_name)
            .await
            .map_err(|e| js_error("stream deletion")(&e))?;
        Ok(())
    }
}
