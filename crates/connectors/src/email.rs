//! Email: IMAP in (async-imap over TLS with tokio-rustls, or plain TCP for loopback/tests; a
//! `UIDVALIDITY:UID` cursor; messages parsed with mail-parser into private posts threaded by
//! `Message-ID` / `In-Reply-To` / `References`) and SMTP out with lettre (replies keep the
//! threading headers).

use crate::backoff::{Backoff, sleep_or_shutdown};
use crate::error::ConnectorError;
use crate::html::html_to_text;
use crate::reply::{DeliveryOutcome, OutgoingReply, ReplySender};
use crate::runner::report_failure;
use crate::secret::Secret;
use crate::sink::{CursorUpdate, PostSink, SentLedger};
use crate::status::StatusHandle;
use chrono::{TimeZone, Utc};
use futures_util::StreamExt;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rand::Rng;
use serde::Deserialize;
use serde_json::json;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;
use switchyard_domain::{Channel, NewPost, Visibility};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;

/// The longest text kept from one email, in characters.
const MAX_EMAIL_CHARS: usize = 50_000;

/// How to secure a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    #[default]
    Tls,
    /// Plain connection upgraded with STARTTLS (SMTP 587 only).
    Starttls,
    /// No encryption: only for a server on the same machine (tests, a local relay).
    None,
}

/// A mailbox to read customer email from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapConfig {
    pub name: String,
    pub host: String,
    /// Default 993 (TLS) or 143 (none).
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: Security,
    pub username: String,
    pub password: Secret,
    #[serde(default = "default_mailbox")]
    pub mailbox: String,
    /// Seconds between polls (default 60).
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
    /// Larger messages are skipped with a warning (default 10 MiB).
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: u32,
    /// Messages fetched and saved per batch (default 50).
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
}

fn default_mailbox() -> String {
    "INBOX".to_string()
}
fn default_interval() -> u64 {
    60
}
fn default_max_message_bytes() -> u32 {
    10 * 1024 * 1024
}
fn default_batch_size() -> usize {
    50
}

impl ImapConfig {
    pub fn new(name: &str, host: &str, username: &str, password: Secret) -> Self {
        ImapConfig {
            name: name.to_string(),
            host: host.to_string(),
            port: None,
            security: Security::Tls,
            username: username.to_string(),
            password,
            mailbox: default_mailbox(),
            interval_secs: default_interval(),
            max_message_bytes: default_max_message_bytes(),
            batch_size: default_batch_size(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConnectorError> {
        let fail = |reason: &str| ConnectorError::Config {
            connector: self.name.clone(),
            reason: reason.to_string(),
        };
        if self.host.trim().is_empty() {
            return Err(fail("`host` is empty"));
        }
        if self.security == Security::Starttls {
            return Err(fail(
                "IMAP supports `security = \"tls\"` (port 993) or \"none\" (local servers only)",
            ));
        }
        if self.interval_secs == 0 || self.batch_size == 0 {
            return Err(fail("`interval_secs` and `batch_size` must be at least 1"));
        }
        if self.mailbox.contains(['"', '\r', '\n', '\\']) {
            return Err(fail(
                "`mailbox` must not contain quotes, backslashes or line breaks",
            ));
        }
        Ok(())
    }

    fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::None => 143,
            _ => 993,
        })
    }
}

/// A byte stream async-imap can drive: TLS or plain TCP.
trait ImapIo: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> ImapIo for T {}

fn tls_config() -> Arc<rustls::ClientConfig> {
    crate::http::install_crypto_provider();
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

async fn connect(config: &ImapConfig) -> Result<Box<dyn ImapIo>, ConnectorError> {
    let address = (config.host.as_str(), config.port());
    let tcp = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::net::TcpStream::connect(address),
    )
    .await
    .map_err(|_| {
        ConnectorError::Transport(format!(
            "connecting to {}:{} timed out",
            config.host,
            config.port()
        ))
    })?
    .map_err(|error| {
        ConnectorError::Transport(format!(
            "cannot connect to {}:{}: {error}",
            config.host,
            config.port()
        ))
    })?;
    match config.security {
        Security::None => Ok(Box::new(tcp)),
        Security::Tls | Security::Starttls => {
            let server_name = rustls::pki_types::ServerName::try_from(config.host.clone())
                .map_err(|_| ConnectorError::Config {
                    connector: config.name.clone(),
                    reason: format!("`host` {:?} is not a valid TLS server name", config.host),
                })?;
            let connector = tokio_rustls::TlsConnector::from(tls_config());
            let tls = connector.connect(server_name, tcp).await.map_err(|error| {
                ConnectorError::Transport(format!("TLS with {} failed: {error}", config.host))
            })?;
            Ok(Box::new(tls))
        }
    }
}

fn imap_error(config: &ImapConfig, what: &str, error: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Protocol(format!("IMAP {what} on {} failed: {error}", config.host))
}

/// The `UIDVALIDITY:UID` resume point of a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImapCursor {
    pub uid_validity: u32,
    pub last_uid: u32,
}

impl ImapCursor {
    pub fn parse(text: &str) -> Option<ImapCursor> {
        let (validity, uid) = text.trim().split_once(':')?;
        Some(ImapCursor {
            uid_validity: validity.parse().ok()?,
            last_uid: uid.parse().ok()?,
        })
    }

    pub fn encode(&self) -> String {
        format!("{}:{}", self.uid_validity, self.last_uid)
    }
}

fn strip_brackets(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

/// Parses one raw RFC 5322 message into a private post. `fallback_id` identifies messages that
/// lack a `Message-ID`.
pub fn message_to_post(raw: &[u8], fallback_id: &str) -> Result<NewPost, String> {
    let message = mail_parser::MessageParser::default()
        .parse(raw)
        .ok_or("not an RFC 5322 message (no headers could be parsed)")?;
    let from = message
        .from()
        .and_then(|address| address.first())
        .ok_or("no From address")?;
    let address = from
        .address()
        .map(str::trim)
        .filter(|a| a.contains('@'))
        .ok_or("the From header has no email address")?;
    let subject = message
        .subject()
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    let body = match message.body_text(0) {
        Some(text) => text.to_string(),
        None => message
            .body_html(0)
            .map(|html| html_to_text(&html))
            .unwrap_or_default(),
    };
    let body = body.trim().to_string();
    let mut text = match (subject.is_empty(), body.is_empty()) {
        (false, false) => format!("{subject}\n\n{body}"),
        (false, true) => subject.clone(),
        (true, false) => body,
        (true, true) => return Err("neither a subject nor a text body".to_string()),
    };
    if text.chars().count() > MAX_EMAIL_CHARS {
        text = text.chars().take(MAX_EMAIL_CHARS).collect::<String>() + "…";
    }
    let external_id = message
        .message_id()
        .map(strip_brackets)
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| fallback_id.to_string());
    let created = message
        .date()
        .and_then(|date| Utc.timestamp_opt(date.to_timestamp(), 0).single())
        .unwrap_or_else(Utc::now);
    let references: Vec<String> = message
        .references()
        .as_text_list()
        .map(|list| {
            list.iter()
                .map(|id| strip_brackets(id))
                .filter(|id| !id.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let in_reply_to = message
        .in_reply_to()
        .as_text_list()
        .and_then(|list| list.first().map(|id| strip_brackets(id)))
        .filter(|id| !id.is_empty());
    let mut post = NewPost::new(
        Channel::Email,
        external_id,
        address.to_ascii_lowercase(),
        text,
        created,
    );
    post.visibility = Visibility::Private;
    post.author.display_name = from
        .name()
        .map(str::to_string)
        .filter(|name| !name.trim().is_empty());
    post.parent_id = in_reply_to.clone();
    post.thread_id = references.first().cloned().or(in_reply_to);
    let to: Vec<String> = message
        .to()
        .map(|list| {
            list.iter()
                .filter_map(|a| a.address().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    post.meta = json!({ "subject": subject, "to": to, "references": references });
    Ok(post)
}

/// One poll: fetch every message above the cursor, batch by batch, saving posts and cursor
/// together. Returns the number of posts stored.
pub async fn poll_mailbox<S: PostSink>(
    config: &ImapConfig,
    sink: &S,
    status: &StatusHandle,
) -> Result<u64, ConnectorError> {
    let stream = connect(config).await?;
    let mut client = async_imap::Client::new(stream);
    client
        .read_response()
        .await
        .map_err(|error| imap_error(config, "greeting", error))?
        .ok_or_else(|| imap_error(config, "greeting", "the server closed the connection"))?;
    let mut session = client
        .login(&config.username, config.password.expose())
        .await
        .map_err(|(error, _)| ConnectorError::Unauthorized {
            service: format!("IMAP {} ({error})", config.host),
            status: 0,
        })?;
    let mailbox = session
        .select(&config.mailbox)
        .await
        .map_err(|error| imap_error(config, &format!("SELECT {}", config.mailbox), error))?;
    let uid_validity = mailbox
        .uid_validity
        .ok_or_else(|| imap_error(config, "SELECT", "the server sent no UIDVALIDITY"))?;
    let saved = sink
        .load_cursor(&config.name)
        .await?
        .and_then(|text| ImapCursor::parse(&text));
    let last_uid = match saved {
        Some(cursor) if cursor.uid_validity == uid_validity => cursor.last_uid,
        Some(cursor) => {
            tracing::warn!(connector = %config.name, old = cursor.uid_validity, new = uid_validity, "UIDVALIDITY changed (mailbox rebuilt); re-reading it, Message-IDs prevent double posts");
            0
        }
        None => 0,
    };
    let found = session
        .uid_search(format!("UID {}:*", last_uid.saturating_add(1)))
        .await
        .map_err(|error| imap_error(config, "UID SEARCH", error))?;
    // `n:*` always matches the newest message even when its UID is below n.
    let mut uids: Vec<u32> = found.into_iter().filter(|uid| *uid > last_uid).collect();
    uids.sort_unstable();
    let mut stored = 0;
    for chunk in uids.chunks(config.batch_size) {
        // Sizes first, so an oversized message is never downloaded.
        let set = chunk
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let mut wanted = Vec::new();
        {
            let mut sizes = session
                .uid_fetch(&set, "(UID RFC822.SIZE)")
                .await
                .map_err(|error| imap_error(config, "UID FETCH", error))?;
            while let Some(fetch) = sizes.next().await {
                let fetch = fetch.map_err(|error| imap_error(config, "UID FETCH", error))?;
                let Some(uid) = fetch.uid else { continue };
                if fetch
                    .size
                    .is_some_and(|size| size > config.max_message_bytes)
                {
                    status.rejected(&format!("message UID {uid} larger than max_message_bytes"));
                    tracing::warn!(connector = %config.name, uid, size = fetch.size, "skipped a message larger than max_message_bytes");
                    continue;
                }
                wanted.push(uid);
            }
        }
        let mut posts = Vec::new();
        if !wanted.is_empty() {
            let set = wanted
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let mut fetches = session
                .uid_fetch(&set, "(UID BODY.PEEK[])")
                .await
                .map_err(|error| imap_error(config, "UID FETCH", error))?;
            while let Some(fetch) = fetches.next().await {
                let fetch = fetch.map_err(|error| imap_error(config, "UID FETCH", error))?;
                let Some(uid) = fetch.uid else { continue };
                let Some(body) = fetch.body() else {
                    status.rejected(&format!("message UID {uid} came without a body"));
                    continue;
                };
                if body.len() > config.max_message_bytes as usize {
                    status.rejected(&format!("message UID {uid} larger than max_message_bytes"));
                    continue;
                }
                let fallback = format!(
                    "imap:{}/{}/{uid_validity}/{uid}",
                    config.host, config.mailbox
                );
                match message_to_post(body, &fallback) {
                    Ok(mut post) => {
                        if let Some(meta) = post.meta.as_object_mut() {
                            meta.insert("imap_uid".into(), uid.into());
                            meta.insert("mailbox".into(), config.mailbox.clone().into());
                        }
                        posts.push(post);
                    }
                    Err(reason) => {
                        status.rejected(&format!("message UID {uid}: {reason}"));
                        tracing::warn!(connector = %config.name, uid, "rejected a malformed email: {reason}");
                    }
                }
            }
        }
        let newest_uid = chunk.iter().copied().max().unwrap_or(last_uid);
        let newest = posts.iter().map(|post| post.created_at).max();
        let cursor = ImapCursor {
            uid_validity,
            last_uid: newest_uid,
        };
        let outcome = sink
            .ingest(
                posts,
                Some(CursorUpdate::new(&config.name, cursor.encode())),
            )
            .await?;
        stored += outcome.inserted;
        status.success(outcome.inserted, newest);
    }
    if uids.is_empty() && saved.is_none_or(|cursor| cursor.uid_validity != uid_validity) {
        // Remember the mailbox's UIDVALIDITY even when it is empty.
        let cursor = ImapCursor {
            uid_validity,
            last_uid,
        };
        sink.ingest(
            Vec::new(),
            Some(CursorUpdate::new(&config.name, cursor.encode())),
        )
        .await?;
    }
    let _ = session.logout().await;
    Ok(stored)
}

/// Polls the mailbox every `interval_secs` until shutdown.
pub async fn run_imap<S: PostSink>(
    config: ImapConfig,
    sink: S,
    status: StatusHandle,
    shutdown: CancellationToken,
) {
    if let Err(error) = config.validate() {
        status.error(&error.to_string());
        tracing::error!(connector = %config.name, "imap connector cannot start: {error}");
        return;
    }
    let interval = Duration::from_secs(config.interval_secs);
    let mut backoff = Backoff::default();
    loop {
        let round = tokio::select! {
            _ = shutdown.cancelled() => return,
            round = poll_mailbox(&config, &sink, &status) => round,
        };
        let wait = match round {
            Ok(_) => {
                backoff.reset();
                status.success(0, None);
                interval
            }
            Err(error) => report_failure(&status, &mut backoff, &error),
        };
        if !sleep_or_shutdown(wait, &shutdown).await {
            return;
        }
    }
}

// ---------- SMTP out ----------

/// The SMTP relay replies are sent through.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub name: String,
    pub host: String,
    /// Default 465 (tls), 587 (starttls) or 25 (none).
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default = "default_smtp_security")]
    pub security: Security,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    /// The sender, e.g. `Acme Support <support@acme.example>`.
    pub from: String,
}

fn default_smtp_security() -> Security {
    Security::Starttls
}

impl SmtpConfig {
    pub(crate) fn validate(&self) -> Result<(), ConnectorError> {
        let fail = |reason: String| ConnectorError::Config {
            connector: self.name.clone(),
            reason,
        };
        self.from.parse::<Mailbox>().map_err(|error| {
            fail(format!(
                "`from` {:?} is not an address ({error})",
                self.from
            ))
        })?;
        if self.username.is_some() != self.password.is_some() {
            return Err(fail(
                "set both `username` and `password`, or neither".to_string(),
            ));
        }
        if self.host.trim().is_empty() {
            return Err(fail("`host` is empty".to_string()));
        }
        Ok(())
    }
}

/// Sends email replies that keep the conversation's threading headers.
#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    ledger: Option<SentLedger>,
}

impl SmtpSender {
    pub fn new(config: &SmtpConfig) -> Result<Self, ConnectorError> {
        config.validate()?;
        crate::http::install_crypto_provider();
        let setup = |error: lettre::transport::smtp::Error| ConnectorError::Setup {
            what: format!("SMTP transport {}", config.name),
            reason: error.to_string(),
        };
        let mut builder = match config.security {
            Security::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(setup)?
            }
            Security::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host).map_err(setup)?
            }
            Security::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
            }
        };
        if let Some(port) = config.port {
            builder = builder.port(port);
        }
        if let (Some(username), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                password.expose().to_string(),
            ));
        }
        let from = config
            .from
            .parse::<Mailbox>()
            .map_err(|error| ConnectorError::Config {
                connector: config.name.clone(),
                reason: format!("`from` is not an address ({error})"),
            })?;
        Ok(SmtpSender {
            transport: builder.timeout(Some(Duration::from_secs(30))).build(),
            from,
            ledger: None,
        })
    }

    /// Also records every sent Message-ID in `ledger`.
    pub fn with_ledger(mut self, ledger: SentLedger) -> Self {
        self.ledger = Some(ledger);
        self
    }

    fn build(&self, reply: &OutgoingReply, message_id: &str) -> Result<Message, String> {
        let to = reply
            .to
            .as_deref()
            .ok_or("an email reply needs `to` (the customer's address)")?;
        let to: Mailbox = to
            .parse()
            .map_err(|error| format!("`to` {to:?} is not an email address ({error})"))?;
        let subject = match reply
            .subject
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(subject) if subject.to_ascii_lowercase().starts_with("re:") => subject.to_string(),
            Some(subject) => format!("Re: {subject}"),
            None => "Re: your message".to_string(),
        };
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{message_id}>")))
            .header(ContentType::TEXT_PLAIN);
        if let Some(parent) = reply
            .in_reply_to
            .as_deref()
            .map(strip_brackets)
            .filter(|id| !id.is_empty())
        {
            let mut chain: Vec<String> = Vec::new();
            if let Some(root) = reply
                .thread
                .as_deref()
                .map(strip_brackets)
                .filter(|id| !id.is_empty() && *id != parent)
            {
                chain.push(format!("<{root}>"));
            }
            chain.push(format!("<{parent}>"));
            builder = builder
                .in_reply_to(format!("<{parent}>"))
                .references(chain.join(" "));
        }
        builder
            .body(reply.text.clone())
            .map_err(|error| format!("cannot build the email: {error}"))
    }
}

impl ReplySender for SmtpSender {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    async fn send(&self, reply: &OutgoingReply) -> DeliveryOutcome {
        let domain = self.from.email.domain().to_string();
        // Derived from the idempotency key, so a retried send carries the same Message-ID and the
        // customer's mail client shows one message.
        let digest = {
            use sha2::Digest;
            let mut hasher = sha2::Sha256::new();
            hasher.update(reply.idempotency_key.as_bytes());
            hex::encode(&hasher.finalize()[..12])
        };
        let message_id = format!("switchyard.{digest}@{domain}");
        let message = match self.build(reply, &message_id) {
            Ok(message) => message,
            Err(reason) => return DeliveryOutcome::Rejected { reason },
        };
        match self.transport.send(message).await {
            Ok(_) => {
                if let Some(ledger) = &self.ledger {
                    ledger.record(Channel::Email, &message_id);
                }
                DeliveryOutcome::Delivered {
                    external_id: message_id,
                }
            }
            Err(error) if error.is_permanent() => DeliveryOutcome::Rejected {
                reason: format!("the SMTP server refused the message permanently: {error}"),
            },
            Err(error) => DeliveryOutcome::Retry {
                reason: format!("SMTP delivery failed for now: {error}"),
                after: Some(Duration::from_secs(rand::rng().random_range(30..90))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let cursor = ImapCursor {
            uid_validity: 42,
            last_uid: 7,
        };
        assert_eq!(ImapCursor::parse(&cursor.encode()), Some(cursor));
        assert_eq!(ImapCursor::parse("garbage"), None);
    }

    #[test]
    fn malformed_messages_are_refused() {
        assert!(message_to_post(b"", "x").is_err());
        assert!(message_to_post(b"Subject: hi\r\n\r\nno sender", "x").is_err());
        let post = message_to_post(
            b"From: Amy <AMY@Example.com>\r\nSubject: Late\r\n\r\nWhere is it?",
            "fallback-1",
        )
        .unwrap();
        assert_eq!(post.external_id, "fallback-1");
        assert_eq!(post.author.handle, "amy@example.com");
        assert_eq!(post.text, "Late\n\nWhere is it?");
    }
}
