//! The one registry of connector types: [`ConnectorConfig`] (a `[[connectors]]` table of
//! `switchyard.toml`, tagged by `type`) and [`spawn`], which starts the matching task. Adding a
//! channel = one module + one variant here + its arm in each `match` below.

use crate::bluesky::{BlueskyConfig, BlueskySender, run_bluesky};
use crate::email::{ImapConfig, SmtpConfig, SmtpSender, run_imap};
use crate::error::ConnectorError;
use crate::feed::{FeedConfig, run_feed};
use crate::mastodon::{MastodonConfig, MastodonSender, run_mastodon};
use crate::reply::{DeliveryOutcome, OutgoingReply, ReplySender};
use crate::runner::PostFilter;
use crate::sink::PostSink;
use crate::sink::SentLedger;
use crate::status::{ConnectorState, StatusRegistry};
use crate::webhook::WebhookConfig;
use serde::Deserialize;
use switchyard_domain::Channel;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// One `[[connectors]]` table of the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ConnectorConfig {
    Mastodon(MastodonConfig),
    Bluesky(BlueskyConfig),
    Feed(FeedConfig),
    Imap(ImapConfig),
    Smtp(SmtpConfig),
    Webhook(WebhookConfig),
}

impl ConnectorConfig {
    /// The connector's unique name (status key and cursor prefix).
    pub fn name(&self) -> &str {
        match self {
            ConnectorConfig::Mastodon(config) => &config.name,
            ConnectorConfig::Bluesky(config) => &config.name,
            ConnectorConfig::Feed(config) => &config.name,
            ConnectorConfig::Imap(config) => &config.name,
            ConnectorConfig::Smtp(config) => &config.name,
            ConnectorConfig::Webhook(config) => &config.name,
        }
    }

    /// The `type` tag (`feed`, `webhook`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectorConfig::Mastodon(_) => "mastodon",
            ConnectorConfig::Bluesky(_) => "bluesky",
            ConnectorConfig::Feed(_) => "feed",
            ConnectorConfig::Imap(_) => "imap",
            ConnectorConfig::Smtp(_) => "smtp",
            ConnectorConfig::Webhook(_) => "webhook",
        }
    }

    /// Checks what can be checked without the network (URLs, names, required fields).
    pub fn validate(&self) -> Result<(), ConnectorError> {
        match self {
            ConnectorConfig::Mastodon(config) => config.validate(),
            ConnectorConfig::Bluesky(config) => config.validate(),
            ConnectorConfig::Feed(config) => config.validate(),
            ConnectorConfig::Imap(config) => config.validate(),
            ConnectorConfig::Smtp(config) => config.validate(),
            ConnectorConfig::Webhook(config) => config.validate(),
        }
    }
}

/// Checks every connector and that their names are unique.
pub fn validate_all(configs: &[ConnectorConfig]) -> Result<(), ConnectorError> {
    let mut names = std::collections::HashSet::new();
    for config in configs {
        config.validate()?;
        if !names.insert(config.name()) {
            return Err(ConnectorError::Config {
                connector: config.name().to_string(),
                reason: "two connectors share this name; give each `[[connectors]]` table a unique `name`".to_string(),
            });
        }
    }
    Ok(())
}

/// The webhook endpoints among the connectors, for [`crate::webhook::WebhookState::new`].
pub fn webhook_configs(configs: &[ConnectorConfig]) -> Vec<WebhookConfig> {
    configs
        .iter()
        .filter_map(|config| match config {
            ConnectorConfig::Webhook(webhook) => Some(webhook.clone()),
            _ => None,
        })
        .collect()
}

/// A reply sender of any channel, so the outbox can keep them in one map.
#[derive(Clone)]
pub enum AnyReplySender {
    Mastodon(MastodonSender),
    Bluesky(BlueskySender),
    Smtp(SmtpSender),
}

impl ReplySender for AnyReplySender {
    fn channel(&self) -> Channel {
        match self {
            AnyReplySender::Mastodon(sender) => sender.channel(),
            AnyReplySender::Bluesky(sender) => sender.channel(),
            AnyReplySender::Smtp(sender) => sender.channel(),
        }
    }

    async fn send(&self, reply: &OutgoingReply) -> DeliveryOutcome {
        match self {
            AnyReplySender::Mastodon(sender) => sender.send(reply).await,
            AnyReplySender::Bluesky(sender) => sender.send(reply).await,
            AnyReplySender::Smtp(sender) => sender.send(reply).await,
        }
    }
}

/// The reply senders the configuration allows, keyed by connector name: every Mastodon account,
/// every Bluesky subscription with `identifier` + `app_password`, every SMTP relay. Each records
/// what it delivered in `ledger` so our own replies are not ingested back.
pub fn reply_senders(
    configs: &[ConnectorConfig],
    ledger: &SentLedger,
) -> Result<Vec<(String, AnyReplySender)>, ConnectorError> {
    let mut senders = Vec::new();
    for config in configs {
        let sender = match config {
            ConnectorConfig::Mastodon(config) => AnyReplySender::Mastodon(
                MastodonSender::new(config.clone())?.with_ledger(ledger.clone()),
            ),
            ConnectorConfig::Bluesky(config) if config.app_password.is_some() => {
                AnyReplySender::Bluesky(BlueskySender::new(config)?.with_ledger(ledger.clone()))
            }
            ConnectorConfig::Smtp(config) => {
                AnyReplySender::Smtp(SmtpSender::new(config)?.with_ledger(ledger.clone()))
            }
            ConnectorConfig::Bluesky(_)
            | ConnectorConfig::Feed(_)
            | ConnectorConfig::Imap(_)
            | ConnectorConfig::Webhook(_) => continue,
        };
        senders.push((config.name().to_string(), sender));
    }
    Ok(senders)
}

/// Starts a connector's task. It runs until `shutdown` is cancelled, reports into `status`, hands
/// posts and cursors to `sink`, and never stops on a bad payload or a failed round (it backs
/// off). `filter` is applied to firehose sources (Bluesky Jetstream, Mastodon public streams).
/// Webhook connectors are passive (served by [`crate::webhook::webhook_router`]): their task only
/// marks them in the status view and waits for shutdown.
pub fn spawn<S: PostSink + Clone>(
    config: ConnectorConfig,
    sink: S,
    status: &StatusRegistry,
    shutdown: CancellationToken,
    filter: PostFilter,
) -> JoinHandle<()> {
    let handle = status.register(config.name(), config.kind());
    match config {
        ConnectorConfig::Mastodon(config) => tokio::spawn(async move {
            handle.set_state(ConnectorState::Running);
            run_mastodon(config, sink, handle.clone(), shutdown, filter).await;
            handle.set_state(ConnectorState::Stopped);
        }),
        ConnectorConfig::Bluesky(config) => tokio::spawn(async move {
            handle.set_state(ConnectorState::Running);
            run_bluesky(config, sink, handle.clone(), shutdown, filter).await;
            handle.set_state(ConnectorState::Stopped);
        }),
        ConnectorConfig::Feed(config) => tokio::spawn(async move {
            handle.set_state(ConnectorState::Running);
            run_feed(config, sink, handle.clone(), shutdown).await;
            handle.set_state(ConnectorState::Stopped);
        }),
        ConnectorConfig::Imap(config) => tokio::spawn(async move {
            handle.set_state(ConnectorState::Running);
            run_imap(config, sink, handle.clone(), shutdown).await;
            handle.set_state(ConnectorState::Stopped);
        }),
        ConnectorConfig::Smtp(_) | ConnectorConfig::Webhook(_) => tokio::spawn(async move {
            handle.set_state(ConnectorState::Passive);
            shutdown.cancelled().await;
            handle.set_state(ConnectorState::Stopped);
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        connectors: Vec<ConnectorConfig>,
    }

    #[test]
    fn connectors_tables_of_switchyard_toml_deserialize() {
        let text = r#"
            [[connectors]]
            type = "feed"
            name = "acme-forum"
            url = "https://forum.acme.example/c/deliveries.rss"
            interval_secs = 300
            channel = "forum"

            [[connectors]]
            type = "webhook"
            name = "chat-widget"
            secret = "literal-secret"
        "#;
        let file: File = toml::from_str(text).unwrap();
        assert_eq!(file.connectors.len(), 2);
        assert_eq!(file.connectors[0].kind(), "feed");
        assert_eq!(file.connectors[1].name(), "chat-widget");
        validate_all(&file.connectors).unwrap();
        assert_eq!(webhook_configs(&file.connectors).len(), 1);
        assert!(!format!("{:?}", file.connectors[1]).contains("literal-secret"));
    }

    #[test]
    fn unknown_types_and_duplicate_names_are_refused() {
        let error = toml::from_str::<File>("[[connectors]]\ntype = \"myspace\"\nname = \"a\"\n")
            .err()
            .unwrap();
        assert!(error.to_string().contains("myspace"), "{error}");
        let twice = vec![
            ConnectorConfig::Feed(FeedConfig::new("a", "https://a.example/feed")),
            ConnectorConfig::Feed(FeedConfig::new("a", "https://b.example/feed")),
        ];
        assert!(
            validate_all(&twice)
                .unwrap_err()
                .to_string()
                .contains("unique")
        );
        let bad_url = vec![ConnectorConfig::Feed(FeedConfig::new(
            "a",
            "ftp://a.example/feed",
        ))];
        assert!(validate_all(&bad_url).is_err());
    }
}
