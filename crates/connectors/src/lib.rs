//! Switchyard's live connectors: Mastodon, Bluesky, RSS/Atom/JSON Feed, email (IMAP in, SMTP out)
//! and signed webhooks. Each channel is one module; [`registry`] holds the one enum that lists
//! them. Connectors turn what they hear into [`switchyard_domain::NewPost`]s and hand them, with
//! their resume cursor, to a [`PostSink`] the pipeline implements; replies go out through a
//! [`ReplySender`] per channel.

pub mod backoff;
pub mod bluesky;
pub mod email;
pub mod error;
pub mod feed;
pub mod html;
pub mod http;
pub mod mastodon;
pub mod registry;
pub mod reply;
pub mod runner;
pub mod secret;
pub mod sink;
pub mod status;
pub mod webhook;

pub use error::ConnectorError;
pub use registry::{
    AnyReplySender, ConnectorConfig, reply_senders, spawn, validate_all, webhook_configs,
};
pub use reply::{DeliveryOutcome, OutgoingReply, ReplySender};
pub use runner::{PostFilter, accept_all};
pub use secret::{Secret, SecretError};
pub use sink::{
    CursorUpdate, MemorySink, PostSink, SentLedger, SinkError, SinkOutcome, SkipOwnPosts,
};
pub use status::{ConnectorState, ConnectorStatus, StatusHandle, StatusRegistry};
pub use webhook::{WebhookConfig, WebhookFlavor, WebhookState, webhook_router};
