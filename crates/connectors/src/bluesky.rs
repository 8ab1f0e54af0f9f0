//! Bluesky: Jetstream over WebSocket (`/subscribe?wantedCollections=app.bsky.feed.post&cursor=<µs>`)
//! in, filtered by keywords and the active listening queries, resuming from the saved `time_us`
//! cursor; replies out through XRPC (`com.atproto.server.createSession` with an app password, then
//! `com.atproto.repo.createRecord` with the `reply: {root, parent}` strong references).

use crate::backoff::{Backoff, sleep_or_shutdown};
use crate::error::ConnectorError;
use crate::http::{build_client, read_limited};
use crate::reply::{
    DeliveryOutcome, OutgoingReply, ReplySender, outcome_from_http_failure,
    outcome_from_transport_error,
};
use crate::runner::{PostFilter, report_failure};
use crate::secret::Secret;
use crate::sink::{CursorUpdate, PostSink, SentLedger};
use crate::status::StatusHandle;
use chrono::{DateTime, TimeZone, Utc};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchyard_domain::{Channel, NewPost};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

const POST_COLLECTION: &str = "app.bsky.feed.post";
/// A post record's text is at most 3000 bytes by the lexicon; anything far beyond is hostile.
const MAX_TEXT_BYTES: usize = 10_000;
/// Largest Jetstream message we accept.
const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// Reconnect when Jetstream is silent this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A Jetstream subscription (and, with `identifier` + `app_password`, an account to reply with).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueskyConfig {
    pub name: String,
    /// Jetstream's subscribe endpoint (default `wss://jetstream2.us-east.bsky.network/subscribe`).
    #[serde(default = "default_jetstream_url")]
    pub jetstream_url: String,
    /// Only these accounts (DIDs); empty means everyone.
    #[serde(default)]
    pub wanted_dids: Vec<String>,
    /// Keep only posts containing one of these words (case-insensitive), before the listening
    /// queries are applied. Empty: the listening queries alone decide.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The PDS / entryway for XRPC replies (default `https://bsky.social`).
    #[serde(default = "default_service_url")]
    pub service_url: String,
    /// Handle or DID of the replying account.
    #[serde(default)]
    pub identifier: Option<String>,
    /// An app password (Settings → Privacy and security → App passwords), never the main one.
    #[serde(default)]
    pub app_password: Option<Secret>,
    /// Seconds between cursor saves while nothing matches (default 5).
    #[serde(default = "default_cursor_flush_secs")]
    pub cursor_flush_secs: u64,
}

fn default_jetstream_url() -> String {
    "wss://jetstream2.us-east.bsky.network/subscribe".to_string()
}
fn default_service_url() -> String {
    "https://bsky.social".to_string()
}
fn default_cursor_flush_secs() -> u64 {
    5
}

impl BlueskyConfig {
    pub fn new(name: &str, jetstream_url: &str) -> Self {
        BlueskyConfig {
            name: name.to_string(),
            jetstream_url: jetstream_url.to_string(),
            wanted_dids: Vec::new(),
            keywords: Vec::new(),
            service_url: default_service_url(),
            identifier: None,
            app_password: None,
            cursor_flush_secs: default_cursor_flush_secs(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConnectorError> {
        let fail = |reason: String| ConnectorError::Config {
            connector: self.name.clone(),
            reason,
        };
        let url = url::Url::parse(&self.jetstream_url)
            .map_err(|error| fail(format!("`jetstream_url` is not a URL ({error})")))?;
        if url.scheme() != "wss" && url.scheme() != "ws" {
            return Err(fail("`jetstream_url` must start with wss://".to_string()));
        }
        url::Url::parse(&self.service_url)
            .map_err(|error| fail(format!("`service_url` is not a URL ({error})")))?;
        if self.identifier.is_some() != self.app_password.is_some() {
            return Err(fail(
                "set both `identifier` and `app_password` to reply, or neither".to_string(),
            ));
        }
        if let Some(did) = self.wanted_dids.iter().find(|did| !did.starts_with("did:")) {
            return Err(fail(format!(
                "`wanted_dids` entry {did:?} is not a DID (did:plc:… or did:web:…)"
            )));
        }
        Ok(())
    }

    /// The subscribe URL with the collection, DID filters and the resume cursor.
    pub fn subscribe_url(&self, cursor: Option<u64>) -> Result<String, ConnectorError> {
        let mut url =
            url::Url::parse(&self.jetstream_url).map_err(|error| ConnectorError::Config {
                connector: self.name.clone(),
                reason: format!("`jetstream_url` is not a URL ({error})"),
            })?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("wantedCollections", POST_COLLECTION);
            for did in &self.wanted_dids {
                query.append_pair("wantedDids", did);
            }
            if let Some(cursor) = cursor {
                query.append_pair("cursor", &cursor.to_string());
            }
        }
        Ok(url.to_string())
    }
}

/// What one Jetstream message means for us.
#[derive(Debug, PartialEq)]
pub enum JetstreamItem {
    /// A new post (already checked for shape).
    Post { time_us: u64, post: Box<NewPost> },
    /// Any other valid event (likes, deletes, identity, account): only the cursor moves.
    Other { time_us: u64 },
}

#[derive(Deserialize)]
struct Event {
    did: String,
    time_us: u64,
    kind: String,
    #[serde(default)]
    commit: Option<Commit>,
}

#[derive(Deserialize)]
struct Commit {
    operation: String,
    collection: String,
    rkey: String,
    #[serde(default)]
    record: Option<Value>,
    #[serde(default)]
    cid: Option<String>,
}

fn valid_rkey(rkey: &str) -> bool {
    !rkey.is_empty()
        && rkey.len() <= 512
        && rkey != "."
        && rkey != ".."
        && rkey
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '~'))
}

fn valid_did(did: &str) -> bool {
    did.starts_with("did:")
        && did.len() <= 2048
        && did
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-' | '%'))
}

/// Parses one Jetstream message. `Err` explains why a message is malformed or hostile.
pub fn parse_jetstream(text: &str) -> Result<JetstreamItem, String> {
    let event: Event =
        serde_json::from_str(text).map_err(|error| format!("not a Jetstream event ({error})"))?;
    if !valid_did(&event.did) {
        return Err("event `did` is not a valid DID".to_string());
    }
    let other = JetstreamItem::Other {
        time_us: event.time_us,
    };
    if event.kind != "commit" {
        return Ok(other);
    }
    let commit = event.commit.ok_or("a commit event without `commit`")?;
    if commit.operation != "create" || commit.collection != POST_COLLECTION {
        return Ok(other);
    }
    if !valid_rkey(&commit.rkey) {
        return Err("commit `rkey` is not a valid record key".to_string());
    }
    let record = commit.record.ok_or("a create commit without `record`")?;
    if record.get("$type").and_then(Value::as_str) != Some(POST_COLLECTION) {
        return Err("record `$type` is not app.bsky.feed.post".to_string());
    }
    let text = record
        .get("text")
        .and_then(Value::as_str)
        .ok_or("post record without `text`")?;
    if text.len() > MAX_TEXT_BYTES {
        return Err(format!(
            "post text of {} bytes is beyond the lexicon's limit",
            text.len()
        ));
    }
    if text.trim().is_empty() {
        // Image-only posts carry nothing to analyse.
        return Ok(other);
    }
    let uri = format!("at://{}/{POST_COLLECTION}/{}", event.did, commit.rkey);
    let created = record
        .get("createdAt")
        .and_then(Value::as_str)
        .and_then(|time| DateTime::parse_from_rfc3339(time).ok())
        .map(|time| time.with_timezone(&Utc))
        .or_else(|| Utc.timestamp_micros(event.time_us as i64).single())
        .unwrap_or_else(Utc::now);
    let mut post = NewPost::new(Channel::Bluesky, uri, event.did.clone(), text, created);
    let reply = record.get("reply");
    let reference = |which: &str, field: &str| {
        reply
            .and_then(|reply| reply.get(which))
            .and_then(|strong| strong.get(field))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    post.parent_id = reference("parent", "uri");
    post.thread_id = reference("root", "uri");
    post.language = record
        .get("langs")
        .and_then(Value::as_array)
        .and_then(|langs| langs.first())
        .and_then(Value::as_str)
        .and_then(|lang| lang.split('-').next())
        .filter(|lang| lang.len() == 2 || lang.len() == 3)
        .map(str::to_ascii_lowercase);
    post.permalink = Some(format!(
        "https://bsky.app/profile/{}/post/{}",
        event.did, commit.rkey
    ));
    post.meta = json!({
        "did": event.did,
        "cid": commit.cid,
        "reply_parent_cid": reference("parent", "cid"),
        "reply_root_cid": reference("root", "cid"),
    });
    Ok(JetstreamItem::Post {
        time_us: event.time_us,
        post: Box::new(post),
    })
}

fn keyword_match(keywords: &[String], text: &str) -> bool {
    if keywords.is_empty() {
        return true;
    }
    let lower = text.to_lowercase();
    keywords
        .iter()
        .any(|keyword| lower.contains(&keyword.to_lowercase()))
}

/// Runs the Jetstream subscription until shutdown, reconnecting with backoff and resuming from the
/// saved cursor.
pub async fn run_bluesky<S: PostSink>(
    config: BlueskyConfig,
    sink: S,
    status: StatusHandle,
    shutdown: CancellationToken,
    filter: PostFilter,
) {
    if let Err(error) = config.validate() {
        status.error(&error.to_string());
        tracing::error!(connector = %config.name, "bluesky connector cannot start: {error}");
        return;
    }
    crate::http::install_crypto_provider();
    // Our own posts (replies we sent) are never customer posts, even when Jetstream delivers them
    // before the sender has recorded their URI.
    let filter: PostFilter = match resolve_own_did(&config).await {
        Some(own_did) => {
            let inner = filter.clone();
            Arc::new(move |post: &NewPost| post.author.handle != own_did && inner(post))
        }
        None => filter,
    };
    let mut backoff = Backoff::default();
    loop {
        let result = tokio::select! {
            _ = shutdown.cancelled() => return,
            result = subscribe_once(&config, &sink, &status, &filter, &mut backoff, &shutdown) => result,
        };
        let wait = match result {
            Ok(()) => {
                tracing::info!(connector = %config.name, "jetstream connection closed; reconnecting");
                backoff.next_delay()
            }
            Err(error) => report_failure(&status, &mut backoff, &error),
        };
        if !sleep_or_shutdown(wait, &shutdown).await {
            return;
        }
    }
}

/// The DID of the replying account: `identifier` itself when it is a DID, else resolved with
/// `com.atproto.identity.resolveHandle`. `None` (logged) when there is no account or it cannot be
/// resolved now; the [`SentLedger`] still catches our replies then.
async fn resolve_own_did(config: &BlueskyConfig) -> Option<String> {
    let identifier = config.identifier.as_deref()?.trim().trim_start_matches('@');
    if identifier.starts_with("did:") {
        return Some(identifier.to_string());
    }
    let client = build_client(Some(Duration::from_secs(15))).ok()?;
    let url = format!(
        "{}/xrpc/com.atproto.identity.resolveHandle",
        config.service_url.trim_end_matches('/')
    );
    let answer = client
        .get(url)
        .query(&[("handle", identifier)])
        .send()
        .await
        .ok()
        .filter(|response| response.status().is_success())?;
    let body = read_limited(answer, 64 * 1024).await.ok()?;
    let did = serde_json::from_slice::<Value>(&body)
        .ok()?
        .get("did")
        .and_then(Value::as_str)
        .filter(|did| valid_did(did))
        .map(str::to_string);
    if did.is_none() {
        tracing::warn!(connector = %config.name, "could not resolve {identifier} to a DID; own posts are recognised through the sent ledger only");
    }
    did
}

struct Batch {
    posts: Vec<NewPost>,
    /// The newest `time_us` handled (saved as the cursor with the posts).
    time_us: Option<u64>,
    /// The cursor as last saved.
    saved: Option<u64>,
    last_flush: Instant,
}

impl Batch {
    async fn flush<S: PostSink>(
        &mut self,
        sink: &S,
        status: &StatusHandle,
        key: &str,
    ) -> Result<(), ConnectorError> {
        let Some(time_us) = self.time_us else {
            return Ok(());
        };
        if self.saved == Some(time_us) && self.posts.is_empty() {
            return Ok(());
        }
        let posts = std::mem::take(&mut self.posts);
        let newest = posts.iter().map(|post| post.created_at).max();
        match sink
            .ingest(posts, Some(CursorUpdate::new(key, time_us.to_string())))
            .await
        {
            Ok(outcome) => {
                self.saved = Some(time_us);
                self.last_flush = Instant::now();
                status.success(outcome.inserted, newest);
                Ok(())
            }
            // The batch is dropped with the connection; the reconnect replays from `saved`.
            Err(error) => Err(error.into()),
        }
    }
}

async fn subscribe_once<S: PostSink>(
    config: &BlueskyConfig,
    sink: &S,
    status: &StatusHandle,
    filter: &PostFilter,
    backoff: &mut Backoff,
    shutdown: &CancellationToken,
) -> Result<(), ConnectorError> {
    let key = config.name.clone();
    let saved = match sink.load_cursor(&key).await? {
        Some(text) => match text.trim().parse::<u64>() {
            Ok(value) => Some(value),
            Err(_) => {
                tracing::warn!(connector = %config.name, "saved jetstream cursor {text:?} is not a number; starting live");
                None
            }
        },
        None => None,
    };
    let url = config.subscribe_url(saved)?;
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES));
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(url.as_str(), Some(ws_config), true)
            .await
            .map_err(|error| {
                ConnectorError::Transport(format!("jetstream connection failed: {error}"))
            })?;
    tracing::info!(connector = %config.name, cursor = ?saved, "connected to jetstream");
    let mut batch = Batch {
        posts: Vec::new(),
        time_us: saved,
        saved,
        last_flush: Instant::now(),
    };
    let flush_every = Duration::from_secs(config.cursor_flush_secs.max(1));
    let mut connected_ok = false;
    let mut last_message = Instant::now();
    loop {
        let next = tokio::select! {
            _ = shutdown.cancelled() => {
                let _ = batch.flush(sink, status, &key).await;
                let _ = socket.close(None).await;
                return Ok(());
            }
            next = tokio::time::timeout(Duration::from_millis(250), socket.next()) => next,
        };
        let message = match next {
            Err(_) => {
                // A quiet moment: save what is pending, and notice a dead connection.
                if !batch.posts.is_empty() || batch.last_flush.elapsed() >= flush_every {
                    batch.flush(sink, status, &key).await?;
                }
                if last_message.elapsed() >= IDLE_TIMEOUT {
                    return Err(ConnectorError::Transport(format!(
                        "jetstream silent for {}s",
                        IDLE_TIMEOUT.as_secs()
                    )));
                }
                continue;
            }
            Ok(None) => {
                batch.flush(sink, status, &key).await?;
                return Ok(());
            }
            Ok(Some(Err(error))) => {
                batch.flush(sink, status, &key).await?;
                return Err(ConnectorError::Transport(format!(
                    "jetstream connection broke: {error}"
                )));
            }
            Ok(Some(Ok(message))) => message,
        };
        last_message = Instant::now();
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => {
                batch.flush(sink, status, &key).await?;
                return Ok(());
            }
            Message::Binary(_) => {
                status.rejected("binary jetstream message (compression is not requested)");
                tracing::warn!(connector = %config.name, "rejected a binary jetstream message; compression is not requested, so this is unexpected");
                continue;
            }
            _ => continue,
        };
        if !connected_ok {
            connected_ok = true;
            backoff.reset();
        }
        match parse_jetstream(text.as_str()) {
            Err(reason) => {
                status.rejected(&format!("malformed jetstream event: {reason}"));
                tracing::warn!(connector = %config.name, "rejected malformed jetstream event: {reason}");
            }
            Ok(item) => {
                let (time_us, post) = match item {
                    JetstreamItem::Post { time_us, post } => (time_us, Some(*post)),
                    JetstreamItem::Other { time_us } => (time_us, None),
                };
                if batch.time_us.is_some_and(|done| time_us <= done) {
                    // Replayed from the cursor: already handled before the reconnect.
                    continue;
                }
                batch.time_us = Some(time_us);
                if let Some(post) = post
                    && keyword_match(&config.keywords, &post.text)
                    && filter(&post)
                {
                    batch.posts.push(post);
                }
            }
        }
        if batch.posts.len() >= 100 || batch.last_flush.elapsed() >= flush_every {
            batch.flush(sink, status, &key).await?;
        }
    }
}

// ---------- replies through XRPC ----------

#[derive(Debug, Clone, Deserialize)]
struct Session {
    #[serde(rename = "accessJwt")]
    access_jwt: String,
    did: String,
}

#[derive(Debug, Clone)]
struct StrongRef {
    uri: String,
    cid: String,
}

/// Posts replies with an app password: `createSession`, then `createRecord`.
#[derive(Clone)]
pub struct BlueskySender {
    http: reqwest::Client,
    service_url: String,
    identifier: String,
    password: Secret,
    session: Arc<Mutex<Option<Session>>>,
    ledger: Option<SentLedger>,
}

enum Failure {
    Outcome(DeliveryOutcome),
    /// The session expired: create a new one and try once more.
    Reauthenticate,
}

impl BlueskySender {
    pub fn new(config: &BlueskyConfig) -> Result<Self, ConnectorError> {
        config.validate()?;
        let (Some(identifier), Some(password)) =
            (config.identifier.clone(), config.app_password.clone())
        else {
            return Err(ConnectorError::Config {
                connector: config.name.clone(),
                reason: "replying needs `identifier` and `app_password`".to_string(),
            });
        };
        Ok(BlueskySender {
            http: build_client(Some(Duration::from_secs(30)))?,
            service_url: config.service_url.trim_end_matches('/').to_string(),
            identifier,
            password,
            session: Arc::new(Mutex::new(None)),
            ledger: None,
        })
    }

    /// Also records every delivered post's AT URI in `ledger`.
    pub fn with_ledger(mut self, ledger: SentLedger) -> Self {
        self.ledger = Some(ledger);
        self
    }

    fn xrpc(&self, method: &str) -> String {
        format!("{}/xrpc/{method}", self.service_url)
    }

    async fn session(&self, fresh: bool) -> Result<Session, Failure> {
        let mut guard = self.session.lock().await;
        if !fresh && let Some(session) = guard.as_ref() {
            return Ok(session.clone());
        }
        let response = self
            .http
            .post(self.xrpc("com.atproto.server.createSession"))
            .json(&json!({ "identifier": self.identifier, "password": self.password.expose() }))
            .send()
            .await
            .map_err(|error| {
                Failure::Outcome(outcome_from_transport_error("the Bluesky PDS", &error))
            })?;
        let session: Session = self.read_json(response, "createSession").await?;
        *guard = Some(session.clone());
        Ok(session)
    }

    async fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        response: reqwest::Response,
        what: &str,
    ) -> Result<T, Failure> {
        let status = response.status();
        let headers = response.headers().clone();
        let body = read_limited(response, 1024 * 1024)
            .await
            .unwrap_or_default();
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body).to_string();
            let expired = text.contains("ExpiredToken") || text.contains("InvalidToken");
            if expired && what != "createSession" {
                return Err(Failure::Reauthenticate);
            }
            if what == "createSession" && status.as_u16() == 401 {
                return Err(Failure::Outcome(DeliveryOutcome::Rejected {
                    reason: "Bluesky refused the identifier/app password (createSession answered 401); create a new app password and update the configuration".to_string(),
                }));
            }
            return Err(Failure::Outcome(outcome_from_http_failure(
                &format!("Bluesky {what}"),
                status,
                &headers,
                &text,
            )));
        }
        serde_json::from_slice(&body).map_err(|error| {
            Failure::Outcome(DeliveryOutcome::Retry {
                reason: format!("Bluesky {what} answered unreadable JSON ({error})"),
                after: None,
            })
        })
    }

    /// The `{uri, cid}` of a post and its thread root, through `app.bsky.feed.getPosts`.
    async fn references(
        &self,
        session: &Session,
        uri: &str,
    ) -> Result<(StrongRef, StrongRef), Failure> {
        let response = self
            .http
            .get(self.xrpc("app.bsky.feed.getPosts"))
            .query(&[("uris", uri)])
            .bearer_auth(&session.access_jwt)
            .send()
            .await
            .map_err(|error| {
                Failure::Outcome(outcome_from_transport_error("the Bluesky PDS", &error))
            })?;
        let answer: Value = self.read_json(response, "getPosts").await?;
        let post = answer
            .get("posts")
            .and_then(Value::as_array)
            .and_then(|posts| posts.first())
            .ok_or_else(|| {
                Failure::Outcome(DeliveryOutcome::Rejected {
                    reason: format!(
                        "the post {uri} no longer exists (deleted or blocked); cannot reply to it"
                    ),
                })
            })?;
        let text =
            |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
        let parent = match (text(post, "uri"), text(post, "cid")) {
            (Some(uri), Some(cid)) => StrongRef { uri, cid },
            _ => {
                return Err(Failure::Outcome(DeliveryOutcome::Retry {
                    reason: "getPosts answered a post without uri/cid".to_string(),
                    after: None,
                }));
            }
        };
        let root = post
            .get("record")
            .and_then(|record| record.get("reply"))
            .and_then(|reply| reply.get("root"))
            .and_then(|root| match (text(root, "uri"), text(root, "cid")) {
                (Some(uri), Some(cid)) => Some(StrongRef { uri, cid }),
                _ => None,
            })
            .unwrap_or_else(|| parent.clone());
        Ok((root, parent))
    }

    async fn attempt(&self, reply: &OutgoingReply, fresh: bool) -> Result<String, Failure> {
        let session = self.session(fresh).await?;
        let mut record = json!({
            "$type": POST_COLLECTION,
            "text": reply.text,
            "createdAt": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
        if let Some(parent_uri) = &reply.in_reply_to {
            let (root, parent) = self.references(&session, parent_uri).await?;
            record["reply"] = json!({
                "root": { "uri": root.uri, "cid": root.cid },
                "parent": { "uri": parent.uri, "cid": parent.cid },
            });
        }
        let response = self
            .http
            .post(self.xrpc("com.atproto.repo.createRecord"))
            .bearer_auth(&session.access_jwt)
            .json(&json!({ "repo": session.did, "collection": POST_COLLECTION, "record": record }))
            .send()
            .await
            .map_err(|error| {
                Failure::Outcome(outcome_from_transport_error("the Bluesky PDS", &error))
            })?;
        let created: Value = self.read_json(response, "createRecord").await?;
        created
            .get("uri")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                Failure::Outcome(DeliveryOutcome::Retry {
                    reason: "createRecord answered without `uri`".to_string(),
                    after: None,
                })
            })
    }
}

impl ReplySender for BlueskySender {
    fn channel(&self) -> Channel {
        Channel::Bluesky
    }

    async fn send(&self, reply: &OutgoingReply) -> DeliveryOutcome {
        if reply.private {
            return DeliveryOutcome::Rejected {
                reason: "Bluesky direct messages are not supported; answer publicly or move the conversation to email".to_string(),
            };
        }
        if reply.text.chars().count() > 300 {
            return DeliveryOutcome::Rejected {
                reason: format!(
                    "a Bluesky post holds at most 300 characters; this reply has {}",
                    reply.text.chars().count()
                ),
            };
        }
        let mut result = self.attempt(reply, false).await;
        if matches!(result, Err(Failure::Reauthenticate)) {
            result = self.attempt(reply, true).await;
        }
        match result {
            Ok(uri) => {
                if let Some(ledger) = &self.ledger {
                    ledger.record(Channel::Bluesky, &uri);
                }
                DeliveryOutcome::Delivered { external_id: uri }
            }
            Err(Failure::Outcome(outcome)) => outcome,
            Err(Failure::Reauthenticate) => DeliveryOutcome::Retry {
                reason: "the Bluesky session expired twice in a row".to_string(),
                after: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_url_carries_collection_dids_and_cursor() {
        let mut config = BlueskyConfig::new("bsky", "wss://jetstream.example/subscribe");
        config.wanted_dids = vec!["did:plc:abc".to_string()];
        let url = config.subscribe_url(Some(1725911162329308)).unwrap();
        assert_eq!(
            url,
            "wss://jetstream.example/subscribe?wantedCollections=app.bsky.feed.post&wantedDids=did%3Aplc%3Aabc&cursor=1725911162329308"
        );
    }

    #[test]
    fn hostile_events_are_refused() {
        let event = |did: &str, rkey: &str, text: &str| {
            json!({"did": did, "time_us": 1, "kind": "commit", "commit": {"rev": "r", "operation": "create", "collection": POST_COLLECTION, "rkey": rkey, "cid": "c", "record": {"$type": POST_COLLECTION, "text": text, "createdAt": "2026-11-23T10:00:00Z"}}}).to_string()
        };
        assert!(parse_jetstream(&event("did:plc:ok", "3l3qo2vutsw2b", "hi")).is_ok());
        assert!(parse_jetstream(&event("evil", "3l3qo2vutsw2b", "hi")).is_err());
        assert!(parse_jetstream(&event("did:plc:ok", "../../etc", "hi")).is_err());
        assert!(parse_jetstream(&event("did:plc:ok", "3l3", &"x".repeat(20_000))).is_err());
        assert!(parse_jetstream("{}").is_err());
    }
}
