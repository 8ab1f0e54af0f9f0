//! Inbound signed webhooks: a generic HMAC-signed JSON endpoint (chat widgets, SMS gateways,
//! forms), Meta-style (`X-Hub-Signature-256`, `hub.challenge` handshake, page feed / Messenger /
//! Instagram payloads) and X-style (CRC `response_token`, `x-twitter-webhooks-signature`, Account
//! Activity `tweet_create_events` / `direct_message_events`). Unsigned or badly signed requests get
//! 401 and are never parsed; bodies over the endpoint's limit get 413.

use crate::error::ConnectorError;
use crate::secret::Secret;
use crate::sink::PostSink;
use crate::status::{ConnectorState, StatusHandle, StatusRegistry};
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Arc;
use switchyard_domain::{Author, Channel, Engagement, NewPost, Visibility};

type HmacSha256 = Hmac<Sha256>;

/// The most posts one request may carry.
pub const MAX_POSTS_PER_REQUEST: usize = 500;
/// The longest text one post may carry, in bytes.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// Which protocol an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFlavor {
    /// Switchyard's own JSON, signed with `X-Switchyard-Signature: sha256=<hex HMAC-SHA256>`.
    #[default]
    Generic,
    /// Facebook pages, Messenger and Instagram (Meta Graph API webhooks).
    Meta,
    /// X Account Activity API.
    X,
}

/// One webhook endpoint, served at `/hooks/<name>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The endpoint's path segment (`/hooks/<name>`) and status name.
    pub name: String,
    #[serde(default)]
    pub flavor: WebhookFlavor,
    /// HMAC key: the shared secret (generic), the app secret (Meta), the consumer secret (X).
    pub secret: Secret,
    /// Meta only: the token you typed into the app dashboard for the `hub.challenge` handshake.
    #[serde(default)]
    pub verify_token: Option<Secret>,
    /// Generic only: the channel of posts that do not name one (default `web`).
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Generic only: the header carrying the signature (default `x-switchyard-signature`).
    #[serde(default)]
    pub signature_header: Option<String>,
    /// Larger bodies are refused with 413 (default 262144 bytes).
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
}

fn default_max_body_bytes() -> usize {
    256 * 1024
}

impl WebhookConfig {
    /// A generic endpoint with default settings.
    pub fn generic(name: &str, secret: Secret) -> Self {
        WebhookConfig {
            name: name.to_string(),
            flavor: WebhookFlavor::Generic,
            secret,
            verify_token: None,
            channel: None,
            signature_header: None,
            max_body_bytes: default_max_body_bytes(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConnectorError> {
        let fail = |reason: &str| ConnectorError::Config {
            connector: self.name.clone(),
            reason: reason.to_string(),
        };
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(fail(
                "a webhook name becomes a URL path segment: use 1-64 letters, digits, '-' or '_'",
            ));
        }
        if self.flavor == WebhookFlavor::Meta && self.verify_token.is_none() {
            return Err(fail(
                "a meta webhook needs `verify_token` (the token typed into the Meta app dashboard)",
            ));
        }
        if self.max_body_bytes == 0 {
            return Err(fail("max_body_bytes must be above 0"));
        }
        Ok(())
    }
}

struct Endpoint {
    config: WebhookConfig,
    status: StatusHandle,
}

/// Shared state of the webhook router.
pub struct WebhookState<S> {
    endpoints: Arc<HashMap<String, Endpoint>>,
    sink: Arc<S>,
}

impl<S> Clone for WebhookState<S> {
    fn clone(&self) -> Self {
        WebhookState {
            endpoints: self.endpoints.clone(),
            sink: self.sink.clone(),
        }
    }
}

impl<S: PostSink> WebhookState<S> {
    /// Validates the endpoints (names unique and URL-safe, Meta ones with a verify token) and
    /// registers each in the status registry.
    pub fn new(
        configs: Vec<WebhookConfig>,
        sink: Arc<S>,
        status: &StatusRegistry,
    ) -> Result<Self, ConnectorError> {
        let mut endpoints = HashMap::new();
        for config in configs {
            config.validate()?;
            if endpoints.contains_key(&config.name) {
                return Err(ConnectorError::Config {
                    connector: config.name.clone(),
                    reason: "two webhooks share this name; names must be unique".to_string(),
                });
            }
            let handle = status.register(&config.name, "webhook");
            handle.set_state(ConnectorState::Passive);
            endpoints.insert(
                config.name.clone(),
                Endpoint {
                    config,
                    status: handle,
                },
            );
        }
        Ok(WebhookState {
            endpoints: Arc::new(endpoints),
            sink,
        })
    }
}

/// The webhook endpoints; the server mounts them with `.nest("/hooks", webhook_router(state))`.
pub fn webhook_router<S: PostSink>(state: WebhookState<S>) -> Router {
    Router::new()
        .route("/{name}", get(handshake::<S>).post(receive::<S>))
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

fn plain(status: StatusCode, message: &str) -> Response {
    (status, message.to_string()).into_response()
}

async fn handshake<S: PostSink>(
    State(state): State<WebhookState<S>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(endpoint) = state.endpoints.get(&name) else {
        return plain(StatusCode::NOT_FOUND, "no webhook endpoint with this name");
    };
    let config = &endpoint.config;
    match config.flavor {
        WebhookFlavor::Generic => plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "POST signed JSON to this endpoint",
        ),
        WebhookFlavor::Meta => {
            let mode = query.get("hub.mode").map(String::as_str);
            let token = query.get("hub.verify_token").map(String::as_str);
            let challenge = query.get("hub.challenge");
            let expected = config.verify_token.as_ref().map(Secret::expose);
            let token_ok = match (token, expected) {
                (Some(token), Some(expected)) => {
                    constant_time_eq(token.as_bytes(), expected.as_bytes())
                }
                _ => false,
            };
            match (mode, challenge) {
                (Some("subscribe"), Some(challenge)) if token_ok && challenge.len() <= 1024 => {
                    tracing::info!(endpoint = %name, "meta webhook subscription verified");
                    (StatusCode::OK, challenge.clone()).into_response()
                }
                _ => {
                    endpoint
                        .status
                        .rejected("meta handshake with a wrong verify_token");
                    tracing::warn!(endpoint = %name, "refused a meta hub.challenge handshake: wrong or missing hub.verify_token / hub.mode");
                    plain(StatusCode::FORBIDDEN, "verify token mismatch")
                }
            }
        }
        WebhookFlavor::X => {
            let Some(crc_token) = query.get("crc_token") else {
                return plain(StatusCode::BAD_REQUEST, "missing crc_token");
            };
            let response_token = x_crc_response(config.secret.expose(), crc_token);
            Json(json!({ "response_token": response_token })).into_response()
        }
    }
}

/// The X CRC answer: `sha256=` + base64(HMAC-SHA256(consumer secret, crc_token)).
pub fn x_crc_response(consumer_secret: &str, crc_token: &str) -> String {
    let mut mac = hmac_for(consumer_secret);
    mac.update(crc_token.as_bytes());
    let digest = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn hmac_for(secret: &str) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length")
}

/// Hex HMAC-SHA256 of `body`, as the generic endpoint and Meta expect it (`sha256=<this>`).
pub fn sign_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = hmac_for(secret);
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Base64 HMAC-SHA256 of `body`, as X sends it (`sha256=<this>`).
pub fn sign_base64(secret: &str, body: &[u8]) -> String {
    let mut mac = hmac_for(secret);
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    if left.len() != right.len() {
        return false;
    }
    left.iter()
        .zip(right)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

/// Checks the request's signature; `Err` says why it is refused (never the secret or the digest).
fn verify_signature(
    config: &WebhookConfig,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    let (header_name, encoding) = match config.flavor {
        WebhookFlavor::Generic => (
            config
                .signature_header
                .clone()
                .unwrap_or_else(|| "x-switchyard-signature".to_string())
                .to_ascii_lowercase(),
            "hex",
        ),
        WebhookFlavor::Meta => ("x-hub-signature-256".to_string(), "hex"),
        WebhookFlavor::X => ("x-twitter-webhooks-signature".to_string(), "base64"),
    };
    let Some(value) = headers.get(header_name.as_str()) else {
        return Err(format!("missing {header_name} header (unsigned request)"));
    };
    let value = value
        .to_str()
        .map_err(|_| format!("{header_name} header is not ASCII"))?
        .trim();
    let encoded = match value.strip_prefix("sha256=") {
        Some(rest) => rest,
        None if config.flavor == WebhookFlavor::Generic => value,
        None => return Err(format!("{header_name} header lacks the sha256= prefix")),
    };
    let claimed = if encoding == "hex" {
        hex::decode(encoded).map_err(|_| format!("{header_name} header is not hex"))?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| format!("{header_name} header is not base64"))?
    };
    let mut mac = hmac_for(config.secret.expose());
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&claimed).map_err(|_| {
        format!("{header_name} does not match the body (wrong secret or altered body)")
    })
}

async fn receive<S: PostSink>(
    State(state): State<WebhookState<S>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(endpoint) = state.endpoints.get(&name) else {
        return plain(StatusCode::NOT_FOUND, "no webhook endpoint with this name");
    };
    let config = &endpoint.config;
    let limit = config.max_body_bytes;
    let declared_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared_length.is_some_and(|length| length > limit as u64) {
        return refuse_too_large(endpoint, &name, limit);
    }
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(body) => body,
        Err(error) => {
            let too_large = error_chain_mentions(&error, "length limit");
            if too_large {
                return refuse_too_large(endpoint, &name, limit);
            }
            tracing::warn!(endpoint = %name, "webhook body could not be read: {error}");
            return plain(StatusCode::BAD_REQUEST, "body could not be read");
        }
    };
    if let Err(reason) = verify_signature(config, &headers, &body) {
        endpoint
            .status
            .rejected(&format!("refused request: {reason}"));
        tracing::warn!(endpoint = %name, "refused webhook request with 401: {reason}");
        return plain(StatusCode::UNAUTHORIZED, "invalid or missing signature");
    }
    let posts = match parse_payload(config, &body) {
        Ok(posts) => posts,
        Err(reason) => {
            endpoint
                .status
                .rejected(&format!("malformed payload: {reason}"));
            tracing::warn!(endpoint = %name, "refused malformed webhook payload with 400: {reason}");
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": format!("malformed payload: {reason}") })),
            )
                .into_response();
        }
    };
    ingest(&state, endpoint, &name, posts).await
}

fn error_chain_mentions(error: &(dyn std::error::Error + 'static), needle: &str) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(inner) = current {
        if inner.to_string().contains(needle) {
            return true;
        }
        current = inner.source();
    }
    false
}

fn refuse_too_large(endpoint: &Endpoint, name: &str, limit: usize) -> Response {
    endpoint
        .status
        .rejected(&format!("body over the {limit}-byte limit"));
    tracing::warn!(endpoint = %name, limit, "refused oversized webhook body with 413");
    plain(StatusCode::PAYLOAD_TOO_LARGE, "body too large")
}

async fn ingest<S: PostSink>(
    state: &WebhookState<S>,
    endpoint: &Endpoint,
    name: &str,
    posts: Vec<NewPost>,
) -> Response {
    let count = posts.len();
    let newest = posts.iter().map(|post| post.created_at).max();
    match state.sink.ingest(posts, None).await {
        Ok(outcome) => {
            endpoint.status.success(outcome.inserted, newest);
            tracing::debug!(endpoint = %name, received = count, inserted = outcome.inserted, "webhook batch stored");
            Json(json!({
                "received": count,
                "inserted": outcome.inserted,
                "duplicates": outcome.duplicates,
            }))
            .into_response()
        }
        Err(error) => {
            endpoint.status.error(&error.to_string());
            tracing::error!(endpoint = %name, "webhook batch not stored: {error}");
            let mut response = plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily unable to store; retry later",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
            response
        }
    }
}

/// Parses a verified body into posts, by flavor. Public so other entry points (a CLI replay of a
/// captured payload) can reuse it.
pub fn parse_payload(config: &WebhookConfig, body: &Bytes) -> Result<Vec<NewPost>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| format!("not valid JSON ({error})"))?;
    let posts = match config.flavor {
        WebhookFlavor::Generic => parse_generic(config, &value)?,
        WebhookFlavor::Meta => parse_meta(&value)?,
        WebhookFlavor::X => parse_x(&value)?,
    };
    if posts.len() > MAX_POSTS_PER_REQUEST {
        return Err(format!(
            "{} posts in one request; at most {MAX_POSTS_PER_REQUEST} are accepted",
            posts.len()
        ));
    }
    for post in &posts {
        if post.text.len() > MAX_TEXT_BYTES {
            return Err(format!(
                "post {} has {} bytes of text; at most {MAX_TEXT_BYTES} are accepted",
                post.external_id,
                post.text.len()
            ));
        }
        if post.external_id.len() > 512 {
            return Err("an id longer than 512 characters".to_string());
        }
    }
    Ok(posts)
}

// ---------- generic ----------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericPost {
    id: Value,
    text: String,
    author: GenericAuthor,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    thread_id: Option<String>,
    #[serde(default)]
    parent_id: Option<String>,
    #[serde(default)]
    permalink: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    private: Option<bool>,
    #[serde(default)]
    meta: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericAuthor {
    handle: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    followers: Option<u64>,
}

fn parse_generic(config: &WebhookConfig, value: &Value) -> Result<Vec<NewPost>, String> {
    let items: Vec<Value> = match value {
        Value::Array(items) => items.clone(),
        Value::Object(object) if object.contains_key("posts") => match &object["posts"] {
            Value::Array(items) => items.clone(),
            _ => return Err("`posts` must be an array".to_string()),
        },
        Value::Object(_) => vec![value.clone()],
        _ => {
            return Err(
                "expected a post object, an array of posts or {\"posts\": [...]}".to_string(),
            );
        }
    };
    let default_channel = config.channel.unwrap_or(Channel::Web);
    let mut posts = Vec::with_capacity(items.len().min(MAX_POSTS_PER_REQUEST));
    for (index, item) in items
        .into_iter()
        .enumerate()
        .take(MAX_POSTS_PER_REQUEST + 1)
    {
        let parsed: GenericPost =
            serde_json::from_value(item).map_err(|error| format!("post #{index}: {error}"))?;
        let id = match &parsed.id {
            Value::String(id) if !id.trim().is_empty() => id.trim().to_string(),
            Value::Number(number) => number.to_string(),
            _ => {
                return Err(format!(
                    "post #{index}: `id` must be a non-empty string or a number"
                ));
            }
        };
        let handle = parsed
            .author
            .handle
            .trim()
            .trim_start_matches('@')
            .to_string();
        if handle.is_empty() {
            return Err(format!("post #{index}: `author.handle` is empty"));
        }
        if parsed.text.trim().is_empty() {
            return Err(format!("post #{index}: `text` is empty"));
        }
        let channel = match &parsed.channel {
            Some(name) => name
                .parse::<Channel>()
                .map_err(|error| format!("post #{index}: {error}"))?,
            None => default_channel,
        };
        let mut post = NewPost::new(
            channel,
            format!("{}:{id}", config.name),
            handle,
            parsed.text,
            parsed.created_at.unwrap_or_else(Utc::now),
        );
        post.author.display_name = parsed.author.display_name;
        post.author.followers = parsed.author.followers;
        post.thread_id = parsed.thread_id.map(|t| format!("{}:{t}", config.name));
        post.parent_id = parsed.parent_id.map(|p| format!("{}:{p}", config.name));
        post.permalink = parsed.permalink;
        post.language = parsed.language;
        if let Some(private) = parsed.private {
            post.visibility = if private {
                Visibility::Private
            } else {
                Visibility::Public
            };
        }
        post.meta = json!({ "webhook": config.name, "source_id": id, "fields": parsed.meta });
        posts.push(post);
    }
    Ok(posts)
}

// ---------- Meta (Facebook page feed, Messenger, Instagram) ----------

fn text_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn id_of(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn unix_time(value: Option<&Value>) -> Option<DateTime<Utc>> {
    let number = match value? {
        Value::Number(number) => number.as_i64()?,
        Value::String(text) => text.parse::<i64>().ok()?,
        _ => return None,
    };
    // Messenger timestamps are milliseconds, feed ones seconds.
    if number > 100_000_000_000 {
        Utc.timestamp_millis_opt(number).single()
    } else {
        Utc.timestamp_opt(number, 0).single()
    }
}

fn parse_meta(value: &Value) -> Result<Vec<NewPost>, String> {
    let object =
        text_of(value, "object").ok_or("missing `object` (expected \"page\" or \"instagram\")")?;
    let channel = match object {
        "page" => Channel::Facebook,
        "instagram" => Channel::Instagram,
        other => {
            return Err(format!(
                "unsupported object {other:?}; expected \"page\" or \"instagram\""
            ));
        }
    };
    let entries = value
        .get("entry")
        .and_then(Value::as_array)
        .ok_or("missing `entry` array")?;
    let mut posts = Vec::new();
    for entry in entries {
        let entry_time = unix_time(entry.get("time"));
        if let Some(changes) = entry.get("changes").and_then(Value::as_array) {
            for change in changes {
                if let Some(post) = meta_change(channel, change, entry_time)? {
                    posts.push(post);
                }
            }
        }
        if let Some(messages) = entry.get("messaging").and_then(Value::as_array) {
            for message in messages {
                if let Some(post) = meta_message(channel, message)? {
                    posts.push(post);
                }
            }
        }
    }
    Ok(posts)
}

fn meta_change(
    channel: Channel,
    change: &Value,
    entry_time: Option<DateTime<Utc>>,
) -> Result<Option<NewPost>, String> {
    let field = text_of(change, "field").unwrap_or_default();
    let value = change.get("value").ok_or("a change without `value`")?;
    match (channel, field) {
        (Channel::Facebook, "feed") => {
            let item = text_of(value, "item").unwrap_or_default();
            let verb = text_of(value, "verb").unwrap_or("add");
            let is_content = matches!(
                item,
                "post" | "status" | "comment" | "photo" | "video" | "share"
            );
            if !is_content || !matches!(verb, "add" | "edited") {
                return Ok(None);
            }
            let Some(message) = text_of(value, "message").filter(|m| !m.trim().is_empty()) else {
                return Ok(None);
            };
            let post_id = id_of(value, "post_id").ok_or("a feed change without `post_id`")?;
            let external_id = if item == "comment" {
                id_of(value, "comment_id").ok_or("a comment change without `comment_id`")?
            } else {
                post_id.clone()
            };
            let from = value.get("from").ok_or("a feed change without `from`")?;
            let author_id = id_of(from, "id").ok_or("`from` without `id`")?;
            let created = unix_time(value.get("created_time"))
                .or(entry_time)
                .unwrap_or_else(Utc::now);
            let mut post = NewPost::new(
                Channel::Facebook,
                external_id.clone(),
                author_id,
                message,
                created,
            );
            post.author.display_name = text_of(from, "name").map(str::to_string);
            post.thread_id = Some(post_id.clone());
            if item == "comment" {
                post.parent_id = id_of(value, "parent_id").or(Some(post_id.clone()));
            }
            post.permalink = Some(format!("https://www.facebook.com/{external_id}"));
            post.meta = json!({ "meta_item": item, "meta_verb": verb });
            Ok(Some(post))
        }
        (Channel::Instagram, "comments" | "live_comments") => {
            let Some(text) = text_of(value, "text").filter(|t| !t.trim().is_empty()) else {
                return Ok(None);
            };
            let id = id_of(value, "id").ok_or("an instagram comment without `id`")?;
            let from = value
                .get("from")
                .ok_or("an instagram comment without `from`")?;
            let handle = text_of(from, "username")
                .map(str::to_string)
                .or_else(|| id_of(from, "id"))
                .ok_or("`from` without `username` or `id`")?;
            let mut post = NewPost::new(
                Channel::Instagram,
                id,
                handle,
                text,
                entry_time.unwrap_or_else(Utc::now),
            );
            let media_id = value.get("media").and_then(|media| id_of(media, "id"));
            post.thread_id = media_id.clone();
            post.parent_id = id_of(value, "parent_id").or(media_id);
            Ok(Some(post))
        }
        _ => Ok(None),
    }
}

fn meta_message(channel: Channel, message: &Value) -> Result<Option<NewPost>, String> {
    let Some(body) = message.get("message") else {
        // Deliveries, reads, postbacks: not posts.
        return Ok(None);
    };
    if body.get("is_echo").and_then(Value::as_bool) == Some(true) {
        // Our own page's message echoed back: never a customer post.
        return Ok(None);
    }
    let mid = id_of(body, "mid").ok_or("a message without `mid`")?;
    let sender = message
        .get("sender")
        .and_then(|sender| id_of(sender, "id"))
        .ok_or("a message without `sender.id`")?;
    let text = match text_of(body, "text") {
        Some(text) if !text.trim().is_empty() => text.to_string(),
        _ => {
            let kinds: Vec<&str> = body
                .get("attachments")
                .and_then(Value::as_array)
                .map(|items| items.iter().filter_map(|a| text_of(a, "type")).collect())
                .unwrap_or_default();
            if kinds.is_empty() {
                return Ok(None);
            }
            format!("[attachment: {}]", kinds.join(", "))
        }
    };
    let created = unix_time(message.get("timestamp")).unwrap_or_else(Utc::now);
    let mut post = NewPost::new(channel, mid, sender.clone(), text, created);
    post.visibility = Visibility::Private;
    post.thread_id = Some(format!("dm:{sender}"));
    post.parent_id = body.get("reply_to").and_then(|reply| id_of(reply, "mid"));
    Ok(Some(post))
}

// ---------- X Account Activity ----------

fn parse_x(value: &Value) -> Result<Vec<NewPost>, String> {
    let for_user = id_of(value, "for_user_id").ok_or("missing `for_user_id`")?;
    let mut posts = Vec::new();
    if let Some(tweets) = value.get("tweet_create_events") {
        let tweets = tweets
            .as_array()
            .ok_or("`tweet_create_events` must be an array")?;
        for tweet in tweets {
            if let Some(post) = x_tweet(tweet, &for_user)? {
                posts.push(post);
            }
        }
    }
    if let Some(messages) = value.get("direct_message_events") {
        let messages = messages
            .as_array()
            .ok_or("`direct_message_events` must be an array")?;
        let users = value.get("users").cloned().unwrap_or(Value::Null);
        for message in messages {
            if let Some(post) = x_direct_message(message, &users, &for_user)? {
                posts.push(post);
            }
        }
    }
    Ok(posts)
}

fn x_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text?, "%a %b %d %H:%M:%S %z %Y")
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

fn x_tweet(tweet: &Value, for_user: &str) -> Result<Option<NewPost>, String> {
    let id = id_of(tweet, "id_str")
        .or_else(|| id_of(tweet, "id"))
        .ok_or("a tweet without `id_str`")?;
    let user = tweet.get("user").ok_or("a tweet without `user`")?;
    let user_id = id_of(user, "id_str")
        .or_else(|| id_of(user, "id"))
        .unwrap_or_default();
    if user_id == for_user {
        // Our own account's tweets (including replies we sent) are not customer posts.
        return Ok(None);
    }
    let handle = text_of(user, "screen_name").ok_or("a tweet's user without `screen_name`")?;
    let text = tweet
        .get("extended_tweet")
        .and_then(|extended| text_of(extended, "full_text"))
        .or_else(|| text_of(tweet, "full_text"))
        .or_else(|| text_of(tweet, "text"))
        .ok_or("a tweet without `text`")?;
    let created = x_time(text_of(tweet, "created_at")).unwrap_or_else(Utc::now);
    let mut post = NewPost::new(
        Channel::X,
        id.clone(),
        handle,
        crate::html::decode_entities(text),
        created,
    );
    post.author.display_name = text_of(user, "name").map(str::to_string);
    post.author.followers = user.get("followers_count").and_then(Value::as_u64);
    post.author.verified = user
        .get("verified")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    post.parent_id = id_of(tweet, "in_reply_to_status_id_str");
    post.language = text_of(tweet, "lang")
        .filter(|lang| *lang != "und")
        .map(str::to_string);
    post.permalink = Some(format!("https://x.com/{handle}/status/{id}"));
    post.engagement = Engagement {
        likes: tweet
            .get("favorite_count")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        shares: tweet
            .get("retweet_count")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        replies: tweet
            .get("reply_count")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        views: None,
    };
    if tweet.get("retweeted_status").is_some() {
        post.meta = json!({ "retweet": true });
    }
    Ok(Some(post))
}

fn x_direct_message(
    message: &Value,
    users: &Value,
    for_user: &str,
) -> Result<Option<NewPost>, String> {
    if text_of(message, "type") != Some("message_create") {
        return Ok(None);
    }
    let id = id_of(message, "id").ok_or("a direct message without `id`")?;
    let create = message
        .get("message_create")
        .ok_or("a direct message without `message_create`")?;
    let sender = id_of(create, "sender_id").ok_or("a direct message without `sender_id`")?;
    if sender == for_user {
        return Ok(None);
    }
    let text = create
        .get("message_data")
        .and_then(|data| text_of(data, "text"))
        .ok_or("a direct message without `message_data.text`")?;
    let created = unix_time(message.get("created_timestamp")).unwrap_or_else(Utc::now);
    let user = users.get(&sender);
    let handle = user
        .and_then(|user| text_of(user, "screen_name"))
        .map(str::to_string)
        .unwrap_or_else(|| sender.clone());
    let mut post = NewPost::new(
        Channel::X,
        id,
        handle,
        crate::html::decode_entities(text),
        created,
    );
    post.visibility = Visibility::Private;
    post.thread_id = Some(format!("dm:{sender}"));
    if let Some(user) = user {
        post.author = Author {
            handle: post.author.handle.clone(),
            display_name: text_of(user, "name").map(str::to_string),
            followers: user.get("followers_count").and_then(Value::as_u64),
            verified: user
                .get("verified")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        };
    }
    post.meta = json!({ "x_sender_id": sender });
    Ok(Some(post))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_crc_matches_the_documented_algorithm() {
        // HMAC-SHA256("secret", "token"), computed independently with Python's hmac + base64.
        assert_eq!(
            x_crc_response("secret", "token"),
            "sha256=6UERDj0r/oJiHw4+FDRzDXMF0QbF9oyHFl0LJ6RhGko="
        );
    }

    #[test]
    fn hex_signature_matches_the_published_example() {
        // The example from GitHub's "Validating webhook deliveries" documentation.
        assert_eq!(
            sign_hex("It's a Secret to Everybody", b"Hello, World!"),
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
