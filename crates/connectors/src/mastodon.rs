//! Mastodon: REST polling of hashtag timelines (`/api/v1/timelines/tag/:tag`), searches
//! (`/api/v2/search?type=statuses`) and mentions (`/api/v1/notifications?types[]=mention`) with
//! `min_id` cursors and `Link` paging; the streaming API over server-sent events (public, hashtag,
//! user) with reconnect and a REST catch-up after every (re)connect; replies out through
//! `POST /api/v1/statuses` (`in_reply_to_id`, `visibility=direct` for private answers,
//! `Idempotency-Key`).

use crate::backoff::{Backoff, sleep_or_shutdown};
use crate::error::ConnectorError;
use crate::html::html_to_text;
use crate::http::{build_client, check_response, describe_error, read_limited};
use crate::reply::{
    DeliveryOutcome, OutgoingReply, ReplySender, outcome_from_http_failure,
    outcome_from_transport_error,
};
use crate::runner::{PostFilter, report_failure};
use crate::secret::Secret;
use crate::sink::{CursorUpdate, PostSink, SentLedger};
use crate::status::StatusHandle;
use chrono::{DateTime, Utc};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use std::cmp::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use switchyard_domain::{Author, Channel, Engagement, NewPost, Visibility};
use tokio_util::sync::CancellationToken;

/// Largest REST answer we read (a page of 40 statuses is far below this).
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;
/// Largest single streaming event.
const MAX_EVENT_BYTES: usize = 1024 * 1024;
/// Reconnect when the stream is silent this long (Mastodon sends a heartbeat comment every ~15 s).
const STREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// A Mastodon account to listen (and reply) with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MastodonConfig {
    pub name: String,
    /// The instance, e.g. `https://mastodon.social`.
    pub base_url: String,
    /// The streaming host when it differs (see `configuration.urls.streaming` of `/api/v2/instance`).
    #[serde(default)]
    pub streaming_url: Option<String>,
    /// An OAuth access token with `read` (and `write:statuses` to reply) scopes.
    pub access_token: Secret,
    /// Hashtags to follow, without `#`.
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// Full-text searches (only statuses the instance can search; see its search settings).
    #[serde(default)]
    pub searches: Vec<String>,
    /// Poll mentions of the account (notifications of type `mention`, DMs included).
    #[serde(default = "default_true")]
    pub mentions: bool,
    /// Streams to hold open: `user` (mentions), `public`, `public:local`, `hashtag:<tag>`. A
    /// streamed source is not polled; it is caught up over REST after every (re)connect.
    #[serde(default)]
    pub streams: Vec<String>,
    /// Seconds between REST polls (default 60).
    #[serde(default = "default_poll_interval")]
    pub poll_interval_secs: u64,
    /// Statuses per page (`limit`, at most 40).
    #[serde(default = "default_page_limit")]
    pub page_limit: u32,
    /// Pages followed through `Link` per source and round (default 10).
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    /// Visibility of public replies: `public` (default) or `unlisted`.
    #[serde(default)]
    pub reply_visibility: Option<String>,
}

fn default_true() -> bool {
    true
}
fn default_poll_interval() -> u64 {
    60
}
fn default_page_limit() -> u32 {
    40
}
fn default_max_pages() -> u32 {
    10
}

impl MastodonConfig {
    pub fn new(name: &str, base_url: &str, access_token: Secret) -> Self {
        MastodonConfig {
            name: name.to_string(),
            base_url: base_url.to_string(),
            streaming_url: None,
            access_token,
            hashtags: Vec::new(),
            searches: Vec::new(),
            mentions: true,
            streams: Vec::new(),
            poll_interval_secs: default_poll_interval(),
            page_limit: default_page_limit(),
            max_pages: default_max_pages(),
            reply_visibility: None,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConnectorError> {
        let fail = |reason: String| ConnectorError::Config {
            connector: self.name.clone(),
            reason,
        };
        for (key, value) in [
            ("base_url", Some(&self.base_url)),
            ("streaming_url", self.streaming_url.as_ref()),
        ] {
            if let Some(value) = value {
                let url = url::Url::parse(value)
                    .map_err(|error| fail(format!("`{key}` {value:?} is not a URL ({error})")))?;
                if url.scheme() != "https" && url.scheme() != "http" {
                    return Err(fail(format!("`{key}` must start with https://")));
                }
            }
        }
        for stream in &self.streams {
            StreamKind::parse(stream).map_err(fail)?;
        }
        if self.page_limit == 0 || self.page_limit > 40 {
            return Err(fail("`page_limit` must be between 1 and 40".to_string()));
        }
        if self.poll_interval_secs == 0 {
            return Err(fail("`poll_interval_secs` must be at least 1".to_string()));
        }
        if self.hashtags.is_empty()
            && self.searches.is_empty()
            && !self.mentions
            && self.streams.is_empty()
        {
            return Err(fail(
                "nothing to listen to: set `hashtags`, `searches`, `mentions = true` or `streams`"
                    .to_string(),
            ));
        }
        Ok(())
    }

    fn api(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }

    fn streaming_api(&self, path: &str) -> String {
        let base = self.streaming_url.as_deref().unwrap_or(&self.base_url);
        format!("{}{path}", base.trim_end_matches('/'))
    }
}

/// A REST source with its own cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Hashtag(String),
    Search(String),
    Mentions,
    /// The federated (or local) public timeline, caught up behind a public stream.
    Public {
        local: bool,
    },
}

impl Source {
    /// The cursor key under the connector's name.
    pub fn cursor_key(&self, connector: &str) -> String {
        match self {
            Source::Hashtag(tag) => format!("{connector}:tag:{}", tag.to_lowercase()),
            Source::Search(query) => format!("{connector}:search:{query}"),
            Source::Mentions => format!("{connector}:mentions"),
            Source::Public { local: false } => format!("{connector}:public"),
            Source::Public { local: true } => format!("{connector}:public:local"),
        }
    }

    fn first_url(
        &self,
        config: &MastodonConfig,
        min_id: Option<&str>,
    ) -> Result<String, ConnectorError> {
        let limit = config.page_limit.to_string();
        let (path, mut params): (String, Vec<(&str, String)>) = match self {
            Source::Hashtag(tag) => (
                format!("/api/v1/timelines/tag/{}", encode_path_segment(tag)),
                vec![("limit", limit)],
            ),
            Source::Search(query) => (
                "/api/v2/search".to_string(),
                vec![
                    ("q", query.clone()),
                    ("type", "statuses".to_string()),
                    ("resolve", "false".to_string()),
                    ("limit", limit),
                ],
            ),
            Source::Mentions => (
                "/api/v1/notifications".to_string(),
                vec![("types[]", "mention".to_string()), ("limit", limit)],
            ),
            Source::Public { local } => (
                "/api/v1/timelines/public".to_string(),
                vec![("local", local.to_string()), ("limit", limit)],
            ),
        };
        if let Some(min_id) = min_id {
            params.push(("min_id", min_id.to_string()));
        }
        let mut url =
            url::Url::parse(&config.api(&path)).map_err(|error| ConnectorError::Config {
                connector: config.name.clone(),
                reason: format!("cannot build the request URL: {error}"),
            })?;
        url.query_pairs_mut()
            .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
        Ok(url.to_string())
    }
}

fn encode_path_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.trim_start_matches('#').as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// A stream to hold open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamKind {
    User,
    Public { local: bool },
    Hashtag(String),
}

impl StreamKind {
    pub fn parse(text: &str) -> Result<StreamKind, String> {
        match text.trim() {
            "user" => Ok(StreamKind::User),
            "public" => Ok(StreamKind::Public { local: false }),
            "public:local" => Ok(StreamKind::Public { local: true }),
            other => match other.strip_prefix("hashtag:") {
                Some(tag) if !tag.trim().is_empty() => Ok(StreamKind::Hashtag(
                    tag.trim().trim_start_matches('#').to_string(),
                )),
                _ => Err(format!(
                    "unknown stream {other:?}; use user, public, public:local or hashtag:<tag>"
                )),
            },
        }
    }

    fn path(&self) -> String {
        match self {
            StreamKind::User => "/api/v1/streaming/user".to_string(),
            StreamKind::Public { local: false } => "/api/v1/streaming/public".to_string(),
            StreamKind::Public { local: true } => "/api/v1/streaming/public/local".to_string(),
            StreamKind::Hashtag(tag) => {
                format!("/api/v1/streaming/hashtag?tag={}", encode_path_segment(tag))
            }
        }
    }

    /// The REST source that catches up what the stream missed.
    pub fn source(&self) -> Source {
        match self {
            StreamKind::User => Source::Mentions,
            StreamKind::Public { local } => Source::Public { local: *local },
            StreamKind::Hashtag(tag) => Source::Hashtag(tag.clone()),
        }
    }

    fn filtered(&self) -> bool {
        matches!(self, StreamKind::Public { .. })
    }
}

// ---------- JSON shapes (the documented Status, Account, Notification entities) ----------

/// `Account` entity (the fields we use).
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    #[serde(default)]
    pub id: Option<String>,
    pub acct: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub followers_count: Option<u64>,
    #[serde(default)]
    pub bot: bool,
}

/// `Status` entity (the fields we use).
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    pub id: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub in_reply_to_id: Option<String>,
    #[serde(default)]
    pub in_reply_to_account_id: Option<String>,
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default)]
    pub spoiler_text: String,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub replies_count: u64,
    #[serde(default)]
    pub reblogs_count: u64,
    #[serde(default)]
    pub favourites_count: u64,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub reblog: Option<Box<Status>>,
    pub account: Account,
    #[serde(default)]
    pub tags: Vec<Value>,
}

/// `Notification` entity (the fields we use).
#[derive(Debug, Clone, Deserialize)]
pub struct Notification {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub status: Option<Status>,
}

#[derive(Debug, Deserialize)]
struct SearchResults {
    #[serde(default)]
    statuses: Vec<Status>,
}

/// Compares Mastodon ids (decimal strings of any length) numerically.
pub fn compare_ids(left: &str, right: &str) -> Ordering {
    let left = left.trim_start_matches('0');
    let right = right.trim_start_matches('0');
    left.len().cmp(&right.len()).then_with(|| left.cmp(right))
}

fn newer_id(current: Option<String>, candidate: &str) -> Option<String> {
    match current {
        Some(current) if compare_ids(&current, candidate) != Ordering::Less => Some(current),
        _ => Some(candidate.to_string()),
    }
}

/// `acct` is `user` for local accounts and `user@domain` otherwise; we always store `user@domain`.
fn full_handle(account: &Account) -> String {
    let acct = account.acct.trim_start_matches('@');
    if acct.contains('@') {
        return acct.to_string();
    }
    let domain = account
        .url
        .as_deref()
        .and_then(|url| url::Url::parse(url).ok())
        .and_then(|url| url.host_str().map(str::to_string));
    match domain {
        Some(domain) => format!("{acct}@{domain}"),
        None => acct.to_string(),
    }
}

/// Turns a Status into a post (a boost becomes the boosted status). `None` for statuses without
/// any text (media only).
pub fn status_to_post(status: &Status) -> Option<NewPost> {
    let (status, boosted_by) = match &status.reblog {
        Some(original) => (original.as_ref(), Some(status.account.acct.clone())),
        None => (status, None),
    };
    let content = html_to_text(&status.content);
    let text = if status.spoiler_text.trim().is_empty() {
        content
    } else {
        format!("{}\n\n{}", status.spoiler_text.trim(), content)
    };
    if text.trim().is_empty() || status.id.trim().is_empty() {
        return None;
    }
    let visibility = match status.visibility.as_deref() {
        None | Some("public") | Some("unlisted") => Visibility::Public,
        Some(_) => Visibility::Private,
    };
    let mut meta = serde_json::Map::new();
    if let Some(uri) = &status.uri {
        meta.insert("uri".into(), uri.clone().into());
    }
    if let Some(id) = &status.account.id {
        meta.insert("account_id".into(), id.clone().into());
    }
    if let Some(visibility) = &status.visibility {
        meta.insert("visibility".into(), visibility.clone().into());
    }
    if status.sensitive {
        meta.insert("sensitive".into(), true.into());
    }
    if status.account.bot {
        meta.insert("bot".into(), true.into());
    }
    let tags: Vec<Value> = status
        .tags
        .iter()
        .filter_map(|tag| tag.get("name").cloned())
        .collect();
    if !tags.is_empty() {
        meta.insert("tags".into(), Value::Array(tags));
    }
    if let Some(booster) = boosted_by {
        meta.insert("boosted_by".into(), booster.into());
    }
    Some(NewPost {
        channel: Channel::Mastodon,
        external_id: status.id.clone(),
        thread_id: None,
        parent_id: status.in_reply_to_id.clone(),
        author: Author {
            handle: full_handle(&status.account),
            display_name: status
                .account
                .display_name
                .clone()
                .filter(|name| !name.is_empty()),
            followers: status.account.followers_count,
            verified: false,
        },
        text,
        language: status.language.clone().filter(|lang| !lang.is_empty()),
        created_at: status.created_at,
        visibility,
        permalink: status.url.clone().or_else(|| status.uri.clone()),
        engagement: Engagement {
            likes: status.favourites_count,
            shares: status.reblogs_count,
            replies: status.replies_count,
            views: None,
        },
        meta: Value::Object(meta),
    })
}

/// One page of a source: the items' ids (for the cursor) and their posts.
struct Page {
    /// The highest id on the page (status id, or notification id for mentions).
    newest_id: Option<String>,
    posts: Vec<NewPost>,
    /// `Link: <…>; rel="prev"`: the page of newer items.
    prev: Option<String>,
    empty: bool,
}

fn link_rel(headers: &reqwest::header::HeaderMap, rel: &str) -> Option<String> {
    let value = headers.get(reqwest::header::LINK)?.to_str().ok()?;
    for part in value.split(',') {
        let mut pieces = part.split(';');
        let target = pieces.next()?.trim();
        let is_rel = pieces.any(|piece| {
            let piece = piece.trim();
            piece == format!("rel=\"{rel}\"") || piece == format!("rel={rel}")
        });
        if is_rel && target.starts_with('<') && target.ends_with('>') {
            return Some(target[1..target.len() - 1].to_string());
        }
    }
    None
}

fn parse_page(
    source: &Source,
    body: &[u8],
    connector: &str,
) -> Result<(Option<String>, Vec<NewPost>, bool), ConnectorError> {
    let malformed = |error: serde_json::Error| ConnectorError::Malformed {
        source_name: format!("mastodon {connector}"),
        reason: format!("unexpected JSON ({error})"),
    };
    let mut newest: Option<String> = None;
    let mut posts = Vec::new();
    let empty;
    match source {
        Source::Mentions => {
            let items: Vec<Notification> = serde_json::from_slice(body).map_err(malformed)?;
            empty = items.is_empty();
            for item in items {
                newest = newer_id(newest, &item.id);
                if item.kind != "mention" {
                    continue;
                }
                if let Some(post) = item.status.as_ref().and_then(status_to_post) {
                    posts.push(post);
                }
            }
        }
        Source::Search(_) => {
            let results: SearchResults = serde_json::from_slice(body).map_err(malformed)?;
            empty = results.statuses.is_empty();
            for status in results.statuses {
                newest = newer_id(newest, &status.id);
                posts.extend(status_to_post(&status));
            }
        }
        Source::Hashtag(_) | Source::Public { .. } => {
            let items: Vec<Status> = serde_json::from_slice(body).map_err(malformed)?;
            empty = items.is_empty();
            for status in items {
                newest = newer_id(newest, &status.id);
                posts.extend(status_to_post(&status));
            }
        }
    }
    posts.sort_by(|a, b| compare_ids(&a.external_id, &b.external_id));
    Ok((newest, posts, empty))
}

/// The Mastodon client shared by the poller, the streams and the reply sender.
#[derive(Clone)]
pub struct MastodonClient {
    http: reqwest::Client,
    config: MastodonConfig,
    /// Our own account id (from `verify_credentials`): its statuses are never customer posts,
    /// which also covers the stream echoing a reply before the sender has recorded its id.
    own_account: Arc<OnceLock<String>>,
    /// Set when a response says the rate-limit budget is spent (`X-RateLimit-Remaining: 0`):
    /// no request is made before this instant.
    paused_until: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

impl MastodonClient {
    pub fn new(config: MastodonConfig) -> Result<Self, ConnectorError> {
        config.validate()?;
        Ok(MastodonClient {
            http: build_client(Some(Duration::from_secs(60)))?,
            config,
            own_account: Arc::new(OnceLock::new()),
            paused_until: Arc::new(std::sync::Mutex::new(None)),
        })
    }

    /// Learns our own account id once (`GET /api/v1/accounts/verify_credentials`).
    async fn own_account_id(&self) -> Result<String, ConnectorError> {
        if let Some(id) = self.own_account.get() {
            return Ok(id.clone());
        }
        let response = self
            .http
            .get(self.config.api("/api/v1/accounts/verify_credentials"))
            .bearer_auth(self.config.access_token.expose())
            .send()
            .await
            .map_err(|error| ConnectorError::Transport(describe_error(&error)))?;
        let response = check_response(&self.service(), response).await?;
        let body = read_limited(response, MAX_PAGE_BYTES).await?;
        let account: Account =
            serde_json::from_slice(&body).map_err(|error| ConnectorError::Malformed {
                source_name: self.service(),
                reason: format!("verify_credentials answered an unexpected account ({error})"),
            })?;
        let id = account.id.ok_or_else(|| ConnectorError::Malformed {
            source_name: self.service(),
            reason: "verify_credentials answered an account without id".to_string(),
        })?;
        let _ = self.own_account.set(id.clone());
        Ok(id)
    }

    /// Remembers when the rate-limit window resets if the budget is spent.
    fn note_rate_limit(&self, headers: &reqwest::header::HeaderMap) {
        if !crate::backoff::rate_limit_exhausted(headers) {
            return;
        }
        let wait = crate::backoff::server_wait_hint(headers, Utc::now())
            .unwrap_or(Duration::from_secs(60));
        tracing::info!(connector = %self.config.name, wait_ms = wait.as_millis() as u64, "mastodon rate-limit budget spent; pausing until it resets");
        let mut paused = self
            .paused_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *paused = Some(std::time::Instant::now() + wait);
    }

    /// How long to hold off before the next request because the budget is spent.
    pub fn rate_limit_pause(&self) -> Option<Duration> {
        let paused = self
            .paused_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        paused.and_then(|until| until.checked_duration_since(std::time::Instant::now()))
    }

    fn is_own(&self, post: &NewPost) -> bool {
        let own = self.own_account.get();
        own.is_some()
            && post.meta.get("account_id").and_then(Value::as_str) == own.map(String::as_str)
    }

    fn service(&self) -> String {
        format!("mastodon {}", self.config.name)
    }

    async fn fetch_page(&self, source: &Source, url: &str) -> Result<Page, ConnectorError> {
        let response = self
            .http
            .get(url)
            .bearer_auth(self.config.access_token.expose())
            .send()
            .await
            .map_err(|error| ConnectorError::Transport(describe_error(&error)))?;
        let response = check_response(&self.service(), response).await?;
        self.note_rate_limit(response.headers());
        let prev = link_rel(response.headers(), "prev");
        let body = read_limited(response, MAX_PAGE_BYTES).await?;
        let (newest_id, posts, empty) = parse_page(source, &body, &self.config.name)?;
        Ok(Page {
            newest_id,
            posts,
            prev,
            empty,
        })
    }

    /// Fetches everything newer than the source's cursor, page by page (oldest page first, via
    /// `min_id` and `Link rel="prev"`), saving posts and cursor together after each page. On the
    /// first run (no cursor) only the newest page is taken. Returns the posts ingested.
    pub async fn catch_up<S: PostSink>(
        &self,
        source: &Source,
        sink: &S,
        filter: Option<&PostFilter>,
        status: &StatusHandle,
    ) -> Result<u64, ConnectorError> {
        self.own_account_id().await?;
        let key = source.cursor_key(&self.config.name);
        let mut cursor = sink.load_cursor(&key).await?;
        let first_run = cursor.is_none();
        let mut url = source.first_url(&self.config, cursor.as_deref())?;
        let mut ingested = 0;
        for _ in 0..self.config.max_pages.max(1) {
            let page = self.fetch_page(source, &url).await?;
            if page.empty {
                break;
            }
            let Some(newest) = page.newest_id.clone() else {
                break;
            };
            if cursor
                .as_deref()
                .is_some_and(|current| compare_ids(current, &newest) != Ordering::Less)
            {
                // A server that ignores min_id would loop forever on the same page.
                break;
            }
            let newest_time = page.posts.iter().map(|post| post.created_at).max();
            let posts: Vec<NewPost> = page
                .posts
                .into_iter()
                .filter(|post| !self.is_own(post))
                .filter(|post| filter.is_none_or(|filter| filter(post)))
                .collect();
            let outcome = sink
                .ingest(posts, Some(CursorUpdate::new(&key, &newest)))
                .await?;
            ingested += outcome.inserted;
            status.success(outcome.inserted, newest_time);
            cursor = Some(newest.clone());
            if first_run || self.rate_limit_pause().is_some() {
                break;
            }
            url = match page.prev {
                Some(prev) => prev,
                None => source.first_url(&self.config, Some(&newest))?,
            };
        }
        Ok(ingested)
    }
}

/// Runs the connector: REST polling of the sources that are not streamed, plus one task per
/// stream. Returns on shutdown.
pub async fn run_mastodon<S: PostSink + Clone>(
    config: MastodonConfig,
    sink: S,
    status: StatusHandle,
    shutdown: CancellationToken,
    filter: PostFilter,
) {
    let client = match MastodonClient::new(config.clone()) {
        Ok(client) => client,
        Err(error) => {
            status.error(&error.to_string());
            tracing::error!(connector = %config.name, "mastodon connector cannot start: {error}");
            return;
        }
    };
    let streams: Vec<StreamKind> = config
        .streams
        .iter()
        .filter_map(|text| StreamKind::parse(text).ok())
        .collect();
    let streamed: Vec<Source> = streams.iter().map(StreamKind::source).collect();
    let mut polled: Vec<Source> = Vec::new();
    polled.extend(
        config
            .hashtags
            .iter()
            .map(|tag| Source::Hashtag(tag.trim_start_matches('#').to_string())),
    );
    polled.extend(
        config
            .searches
            .iter()
            .map(|query| Source::Search(query.clone())),
    );
    if config.mentions {
        polled.push(Source::Mentions);
    }
    polled.retain(|source| !streamed.contains(source));

    let mut tasks = tokio::task::JoinSet::new();
    for stream in streams {
        let client = client.clone();
        let sink = sink.clone();
        let status = status.clone();
        let shutdown = shutdown.clone();
        let filter = filter.clone();
        tasks.spawn(async move {
            run_stream(client, stream, sink, status, shutdown, filter).await;
        });
    }
    if !polled.is_empty() {
        let interval = Duration::from_secs(config.poll_interval_secs);
        let mut backoff = Backoff::default();
        loop {
            let mut failure = None;
            for source in &polled {
                if shutdown.is_cancelled() {
                    break;
                }
                if let Err(error) = client.catch_up(source, &sink, None, &status).await {
                    failure = Some(error);
                    break;
                }
            }
            let wait = match failure {
                None => {
                    backoff.reset();
                    status.success(0, None);
                    interval.max(client.rate_limit_pause().unwrap_or_default())
                }
                Some(error) => report_failure(&status, &mut backoff, &error),
            };
            if !sleep_or_shutdown(wait, &shutdown).await {
                break;
            }
        }
    }
    shutdown.cancelled().await;
    while tasks.join_next().await.is_some() {}
}

async fn run_stream<S: PostSink>(
    client: MastodonClient,
    stream: StreamKind,
    sink: S,
    status: StatusHandle,
    shutdown: CancellationToken,
    filter: PostFilter,
) {
    let mut backoff = Backoff::default();
    let source = stream.source();
    let use_filter = stream.filtered().then_some(&filter);
    loop {
        let result = tokio::select! {
            _ = shutdown.cancelled() => return,
            result = stream_once(&client, &stream, &source, &sink, &status, use_filter, &mut backoff) => result,
        };
        let wait = match result {
            Ok(()) => {
                tracing::info!(connector = %client.config.name, stream = ?stream, "mastodon stream ended; reconnecting");
                backoff.next_delay()
            }
            Err(error) => report_failure(&status, &mut backoff, &error),
        };
        if !sleep_or_shutdown(wait, &shutdown).await {
            return;
        }
    }
}

/// One connection: catch up over REST, then read events until the stream ends or fails.
async fn stream_once<S: PostSink>(
    client: &MastodonClient,
    stream: &StreamKind,
    source: &Source,
    sink: &S,
    status: &StatusHandle,
    filter: Option<&PostFilter>,
    backoff: &mut Backoff,
) -> Result<(), ConnectorError> {
    let response = client
        .http
        .get(client.config.streaming_api(&stream.path()))
        .bearer_auth(client.config.access_token.expose())
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .timeout(Duration::from_secs(60 * 60 * 24 * 365))
        .send()
        .await
        .map_err(|error| ConnectorError::Transport(describe_error(&error)))?;
    let response = check_response(&client.service(), response).await?;
    // Connected: anything posted while we were away is fetched before live events are handled,
    // so a restart or a dropped connection loses nothing.
    client.catch_up(source, sink, filter, status).await?;
    backoff.reset();
    let key = source.cursor_key(&client.config.name);
    let mut cursor = sink.load_cursor(&key).await?;
    let mut events = guard_event_size(response.bytes_stream()).eventsource();
    loop {
        let next = tokio::time::timeout(STREAM_IDLE_TIMEOUT, events.next()).await;
        let event = match next {
            Err(_) => {
                return Err(ConnectorError::Transport(format!(
                    "stream silent for {}s (no heartbeat)",
                    STREAM_IDLE_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => return Ok(()),
            Ok(Some(Err(error))) => {
                return Err(ConnectorError::Transport(format!(
                    "stream broke off: {error}"
                )));
            }
            Ok(Some(Ok(event))) => event,
        };
        if event.data.len() > MAX_EVENT_BYTES {
            status.rejected("oversized streaming event");
            tracing::warn!(connector = %client.config.name, bytes = event.data.len(), "skipped an oversized mastodon streaming event");
            continue;
        }
        let (item_id, post) = match decode_event(stream, &event.event, &event.data) {
            Ok(Some(decoded)) => decoded,
            Ok(None) => continue,
            Err(reason) => {
                status.rejected(&format!("malformed streaming event: {reason}"));
                tracing::warn!(connector = %client.config.name, event = %event.event, "rejected malformed mastodon streaming event: {reason}");
                continue;
            }
        };
        if cursor
            .as_deref()
            .is_some_and(|current| compare_ids(current, &item_id) != Ordering::Less)
        {
            // Already fetched by the catch-up.
            continue;
        }
        let posts: Vec<NewPost> = post
            .into_iter()
            .filter(|post| !client.is_own(post))
            .filter(|post| filter.is_none_or(|filter| filter(post)))
            .collect();
        let newest = posts.iter().map(|post| post.created_at).max();
        let outcome = sink
            .ingest(posts, Some(CursorUpdate::new(&key, &item_id)))
            .await?;
        cursor = Some(item_id);
        status.success(outcome.inserted, newest);
    }
}

/// Ends the byte stream with an error when more than [`MAX_EVENT_BYTES`] arrive without an event
/// boundary (a blank line), so a hostile or broken server cannot make the SSE parser buffer
/// without bound; the stream is then reconnected.
fn guard_event_size<S>(
    stream: S,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, std::io::Error>>
where
    S: futures_util::Stream<Item = Result<axum::body::Bytes, reqwest::Error>>,
{
    let mut since_boundary = 0usize;
    stream.map(move |chunk| {
        let chunk = chunk.map_err(|error| std::io::Error::other(describe_error(&error)))?;
        let last_boundary = chunk
            .windows(2)
            .rposition(|pair| pair == b"\n\n")
            .or_else(|| chunk.windows(3).rposition(|triple| triple == b"\n\r\n"));
        since_boundary = match last_boundary {
            Some(position) => chunk.len() - position,
            None => since_boundary + chunk.len(),
        };
        if since_boundary > MAX_EVENT_BYTES {
            return Err(std::io::Error::other(format!(
                "a streaming event exceeded {MAX_EVENT_BYTES} bytes"
            )));
        }
        Ok(chunk)
    })
}

/// Decodes one streaming event into (cursor id, post). `Ok(None)` for events that carry no post
/// (`delete`, `status.update`, other notification types, `filters_changed`…).
pub fn decode_event(
    stream: &StreamKind,
    event: &str,
    data: &str,
) -> Result<Option<(String, Option<NewPost>)>, String> {
    match (stream, event) {
        (StreamKind::User, "notification") => {
            let notification: Notification =
                serde_json::from_str(data).map_err(|error| format!("notification: {error}"))?;
            let post = if notification.kind == "mention" {
                notification.status.as_ref().and_then(status_to_post)
            } else {
                None
            };
            Ok(Some((notification.id, post)))
        }
        (StreamKind::User, _) => Ok(None),
        (_, "update") => {
            let status: Status =
                serde_json::from_str(data).map_err(|error| format!("status: {error}"))?;
            let post = status_to_post(&status);
            Ok(Some((status.id, post)))
        }
        (_, "delete") => {
            tracing::debug!(status_id = %data.trim(), "mastodon status deleted upstream");
            Ok(None)
        }
        (_, "status.update") => {
            // An edit: the original is already stored under the same id.
            serde_json::from_str::<Status>(data)
                .map_err(|error| format!("status.update: {error}"))?;
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// Sends replies and direct messages through `POST /api/v1/statuses`.
#[derive(Clone)]
pub struct MastodonSender {
    client: MastodonClient,
    ledger: Option<SentLedger>,
}

impl MastodonSender {
    pub fn new(config: MastodonConfig) -> Result<Self, ConnectorError> {
        Ok(MastodonSender {
            client: MastodonClient::new(config)?,
            ledger: None,
        })
    }

    /// Also records every delivered status id in `ledger`, so the stream's echo of our own reply
    /// is skipped even before the outbox has saved it.
    pub fn with_ledger(mut self, ledger: SentLedger) -> Self {
        self.ledger = Some(ledger);
        self
    }
}

/// The status text with the recipient mentioned first (Mastodon addresses replies and direct
/// messages by mention).
fn addressed_text(reply: &OutgoingReply) -> String {
    let Some(to) = reply
        .to
        .as_deref()
        .map(|to| to.trim().trim_start_matches('@'))
        .filter(|to| !to.is_empty())
    else {
        return reply.text.clone();
    };
    let mention = format!("@{to}");
    let already = reply.text.split_whitespace().any(|word| {
        word.trim_end_matches([',', ':', '.', '!', '?'])
            .eq_ignore_ascii_case(&mention)
    });
    if already {
        reply.text.clone()
    } else {
        format!("{mention} {}", reply.text)
    }
}

impl ReplySender for MastodonSender {
    fn channel(&self) -> Channel {
        Channel::Mastodon
    }

    async fn send(&self, reply: &OutgoingReply) -> DeliveryOutcome {
        let config = &self.client.config;
        let visibility = if reply.private {
            "direct".to_string()
        } else {
            config
                .reply_visibility
                .clone()
                .unwrap_or_else(|| "public".to_string())
        };
        if reply.private && reply.to.is_none() {
            return DeliveryOutcome::Rejected {
                reason: "a Mastodon direct message needs `to` (the account to mention)".to_string(),
            };
        }
        let mut body = json!({ "status": addressed_text(reply), "visibility": visibility });
        if let Some(parent) = &reply.in_reply_to {
            body["in_reply_to_id"] = Value::String(parent.clone());
        }
        let response = self
            .client
            .http
            .post(config.api("/api/v1/statuses"))
            .bearer_auth(config.access_token.expose())
            .header("Idempotency-Key", &reply.idempotency_key)
            .json(&body)
            .send()
            .await;
        let response = match response {
            Ok(response) => response,
            Err(error) => return outcome_from_transport_error("the Mastodon instance", &error),
        };
        let status_code = response.status();
        let headers = response.headers().clone();
        let bytes = read_limited(response, MAX_PAGE_BYTES)
            .await
            .unwrap_or_default();
        if !status_code.is_success() {
            return outcome_from_http_failure(
                "the Mastodon instance",
                status_code,
                &headers,
                &String::from_utf8_lossy(&bytes),
            );
        }
        match serde_json::from_slice::<Status>(&bytes) {
            Ok(status) => {
                if let Some(ledger) = &self.ledger {
                    ledger.record(Channel::Mastodon, &status.id);
                }
                DeliveryOutcome::Delivered {
                    external_id: status.id,
                }
            }
            Err(error) => DeliveryOutcome::Retry {
                reason: format!(
                    "the Mastodon instance accepted the status but its answer was unreadable ({error}); the Idempotency-Key makes a retry safe"
                ),
                after: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_compare_numerically() {
        assert_eq!(compare_ids("9", "10"), Ordering::Less);
        assert_eq!(
            compare_ids("109372843234", "109372843233"),
            Ordering::Greater
        );
        assert_eq!(compare_ids("5", "5"), Ordering::Equal);
    }

    #[test]
    fn link_header_prev_and_next() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::LINK,
            "<https://mastodon.example/api/v1/timelines/tag/cats?max_id=105>; rel=\"next\", <https://mastodon.example/api/v1/timelines/tag/cats?min_id=110>; rel=\"prev\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            link_rel(&headers, "prev").as_deref(),
            Some("https://mastodon.example/api/v1/timelines/tag/cats?min_id=110")
        );
        assert_eq!(
            link_rel(&headers, "next").as_deref(),
            Some("https://mastodon.example/api/v1/timelines/tag/cats?max_id=105")
        );
    }

    #[test]
    fn replies_mention_their_recipient_once() {
        let mut reply = OutgoingReply {
            channel: Channel::Mastodon,
            in_reply_to: Some("1".to_string()),
            thread: None,
            to: Some("@amy@example.social".to_string()),
            subject: None,
            text: "Sorry about that!".to_string(),
            private: false,
            idempotency_key: "k".to_string(),
        };
        assert_eq!(
            addressed_text(&reply),
            "@amy@example.social Sorry about that!"
        );
        reply.text = "Hi @amy@example.social, sorry!".to_string();
        assert_eq!(addressed_text(&reply), "Hi @amy@example.social, sorry!");
    }

    #[test]
    fn stream_names_parse() {
        assert_eq!(
            StreamKind::parse("hashtag:#Acme").unwrap(),
            StreamKind::Hashtag("Acme".to_string())
        );
        assert!(StreamKind::parse("firehose").is_err());
        assert_eq!(
            StreamKind::Hashtag("a b".to_string()).path(),
            "/api/v1/streaming/hashtag?tag=a%20b"
        );
    }
}
