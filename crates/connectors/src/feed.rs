//! RSS, Atom and JSON Feed polling (blogs, forums, review sites) with feed-rs: a per-feed
//! interval, conditional GET (`ETag` / `Last-Modified`, 304 → nothing), and entries deduplicated by
//! guid/link through a cursor saved with the posts.

use crate::backoff::{Backoff, sleep_or_shutdown};
use crate::error::ConnectorError;
use crate::html::html_to_text;
use crate::http::{build_client, check_response, describe_error, read_limited};
use crate::runner::report_failure;
use crate::sink::{CursorUpdate, PostSink};
use crate::status::StatusHandle;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};
use std::time::Duration;
use switchyard_domain::{Channel, NewPost};
use tokio_util::sync::CancellationToken;

/// How many entry ids the cursor remembers (a feed rarely carries more than a few hundred).
const SEEN_CAPACITY: usize = 2000;
/// The longest text kept from one entry, in characters.
const MAX_ENTRY_CHARS: usize = 20_000;

/// One feed to poll.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    pub name: String,
    /// The feed's URL (RSS 0.9x/1.0/2.0, Atom or JSON Feed).
    pub url: String,
    /// Seconds between polls (default 900).
    #[serde(default = "default_interval_secs")]
    pub interval_secs: u64,
    /// `feed` (default), `forum` or `review`: the channel the entries are filed under.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Larger documents are refused (default 5 MiB).
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
}

fn default_interval_secs() -> u64 {
    900
}

fn default_max_body_bytes() -> usize {
    5 * 1024 * 1024
}

impl FeedConfig {
    pub fn new(name: &str, url: &str) -> Self {
        FeedConfig {
            name: name.to_string(),
            url: url.to_string(),
            interval_secs: default_interval_secs(),
            channel: None,
            max_body_bytes: default_max_body_bytes(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConnectorError> {
        let url = url::Url::parse(&self.url).map_err(|error| ConnectorError::Config {
            connector: self.name.clone(),
            reason: format!("`url` {:?} is not a URL ({error})", self.url),
        })?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(ConnectorError::Config {
                connector: self.name.clone(),
                reason: "`url` must start with http:// or https://".to_string(),
            });
        }
        if self.interval_secs == 0 {
            return Err(ConnectorError::Config {
                connector: self.name.clone(),
                reason: "`interval_secs` must be at least 1".to_string(),
            });
        }
        Ok(())
    }
}

/// What the feed connector remembers between polls (saved as JSON with the posts).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedCursor {
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    /// External ids of entries already ingested, oldest first.
    #[serde(default)]
    pub seen: VecDeque<String>,
}

impl FeedCursor {
    fn parse(text: Option<String>, name: &str) -> FeedCursor {
        let Some(text) = text else {
            return FeedCursor::default();
        };
        match serde_json::from_str(&text) {
            Ok(cursor) => cursor,
            Err(error) => {
                tracing::warn!(
                    connector = name,
                    "saved feed cursor is unreadable ({error}); starting fresh, the store's de-duplication prevents double posts"
                );
                FeedCursor::default()
            }
        }
    }

    fn remember(&mut self, id: &str) {
        self.seen.push_back(id.to_string());
        while self.seen.len() > SEEN_CAPACITY {
            self.seen.pop_front();
        }
    }
}

/// The result of one poll.
#[derive(Debug)]
pub enum FeedPoll {
    NotModified,
    Fetched {
        posts: Vec<NewPost>,
        cursor: FeedCursor,
    },
}

/// Fetches the feed once with a conditional GET and returns the entries not seen before.
pub async fn poll_feed(
    client: &reqwest::Client,
    config: &FeedConfig,
    cursor: &FeedCursor,
) -> Result<FeedPoll, ConnectorError> {
    let mut request = client.get(&config.url).header(
        reqwest::header::ACCEPT,
        "application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5",
    );
    if let Some(etag) = &cursor.etag {
        request = request.header(reqwest::header::IF_NONE_MATCH, etag);
    }
    if let Some(last_modified) = &cursor.last_modified {
        request = request.header(reqwest::header::IF_MODIFIED_SINCE, last_modified);
    }
    let response = request
        .send()
        .await
        .map_err(|error| ConnectorError::Transport(describe_error(&error)))?;
    let service = format!("feed {}", config.name);
    let response = check_response(&service, response).await?;
    if response.status() == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(FeedPoll::NotModified);
    }
    let header = |name: reqwest::header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    };
    let etag = header(reqwest::header::ETAG);
    let last_modified = header(reqwest::header::LAST_MODIFIED);
    let body = read_limited(response, config.max_body_bytes).await?;
    let posts_and_ids = parse_feed(config, &body)?;
    let mut next = cursor.clone();
    next.etag = etag;
    next.last_modified = last_modified;
    let seen: HashSet<&String> = cursor.seen.iter().collect();
    let mut posts = Vec::new();
    let mut batch_ids = HashSet::new();
    for post in posts_and_ids {
        if seen.contains(&post.external_id) || !batch_ids.insert(post.external_id.clone()) {
            continue;
        }
        next.remember(&post.external_id);
        posts.push(post);
    }
    Ok(FeedPoll::Fetched {
        posts,
        cursor: next,
    })
}

/// Parses a feed document into posts, oldest first. Entries without any id or link are skipped.
pub fn parse_feed(config: &FeedConfig, body: &[u8]) -> Result<Vec<NewPost>, ConnectorError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(&config.url))
        .id_generator(|links, title, _uri| {
            // Entries without a guid are identified by their link, so the same entry polled twice
            // keeps the same id (feed-rs' default would mint a random UUID as a last resort).
            match (links.first(), title) {
                (Some(link), _) => link.href.clone(),
                (None, _) => String::new(),
            }
        })
        .build();
    let feed = parser
        .parse(body)
        .map_err(|error| ConnectorError::Malformed {
            source_name: format!("feed {}", config.name),
            reason: format!(
                "{error}; is {} really an RSS, Atom or JSON feed?",
                config.url
            ),
        })?;
    let channel = config.channel.unwrap_or(Channel::Feed);
    let feed_title = feed
        .title
        .as_ref()
        .map(|title| title.content.trim().to_string());
    let language = feed
        .language
        .as_deref()
        .and_then(|lang| lang.split(['-', '_']).next())
        .filter(|lang| lang.len() == 2)
        .map(str::to_ascii_lowercase);
    let fallback_author = feed
        .authors
        .first()
        .and_then(|person| person.name.clone())
        .filter(|name| !name.trim().is_empty())
        .or_else(|| feed_title.clone().filter(|title| !title.is_empty()))
        .or_else(|| {
            url::Url::parse(&config.url)
                .ok()
                .and_then(|url| url.host_str().map(str::to_string))
        })
        .unwrap_or_else(|| config.name.clone());
    let now = Utc::now();
    let mut posts = Vec::new();
    for entry in feed.entries {
        let raw_id = entry.id.trim().to_string();
        if raw_id.is_empty() {
            tracing::debug!(connector = %config.name, "skipping a feed entry with neither guid nor link");
            continue;
        }
        let external_id =
            if raw_id.contains("://") || raw_id.starts_with("urn:") || raw_id.starts_with("tag:") {
                raw_id.clone()
            } else {
                format!("{}#{raw_id}", config.url)
            };
        let title = entry
            .title
            .as_ref()
            .map(|title| html_to_text(&title.content))
            .unwrap_or_default();
        let body_html = entry
            .content
            .as_ref()
            .and_then(|content| content.body.clone())
            .or_else(|| {
                entry
                    .summary
                    .as_ref()
                    .map(|summary| summary.content.clone())
            })
            .unwrap_or_default();
        let body_text = html_to_text(&body_html);
        let mut text = match (title.is_empty(), body_text.is_empty()) {
            (false, false) if !body_text.starts_with(&title) => format!("{title}\n\n{body_text}"),
            (false, _) if body_text.is_empty() => title.clone(),
            _ => body_text,
        };
        if text.trim().is_empty() {
            continue;
        }
        if text.chars().count() > MAX_ENTRY_CHARS {
            text = text.chars().take(MAX_ENTRY_CHARS).collect::<String>() + "…";
        }
        let author = entry
            .authors
            .first()
            .and_then(|person| person.name.as_deref().or(person.email.as_deref()))
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| fallback_author.clone());
        let created = entry.published.or(entry.updated).unwrap_or(now);
        let mut post = NewPost::new(channel, external_id, author, text, created);
        post.permalink = entry.links.first().map(|link| link.href.clone());
        post.language = language.clone();
        let categories: Vec<&str> = entry
            .categories
            .iter()
            .map(|category| category.term.as_str())
            .collect();
        post.meta = serde_json::json!({
            "feed": config.name,
            "feed_title": feed_title,
            "title": title,
            "categories": categories,
        });
        posts.push(post);
    }
    posts.sort_by_key(|post| post.created_at);
    Ok(posts)
}

/// Polls the feed every `interval_secs` until shutdown.
pub async fn run_feed<S: PostSink>(
    config: FeedConfig,
    sink: S,
    status: StatusHandle,
    shutdown: CancellationToken,
) {
    let client = match build_client(Some(Duration::from_secs(60))) {
        Ok(client) => client,
        Err(error) => {
            status.error(&error.to_string());
            tracing::error!(connector = %config.name, "feed connector cannot start: {error}");
            return;
        }
    };
    let interval = Duration::from_secs(config.interval_secs);
    let mut backoff = Backoff::default();
    let mut cursor: Option<FeedCursor> = None;
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        let round = poll_round(&client, &config, &sink, &status, &mut cursor).await;
        let wait = match round {
            Ok(()) => {
                backoff.reset();
                interval
            }
            Err(error) => report_failure(&status, &mut backoff, &error),
        };
        if !sleep_or_shutdown(wait, &shutdown).await {
            return;
        }
    }
}

async fn poll_round<S: PostSink>(
    client: &reqwest::Client,
    config: &FeedConfig,
    sink: &S,
    status: &StatusHandle,
    cursor: &mut Option<FeedCursor>,
) -> Result<(), ConnectorError> {
    let current = match cursor {
        Some(current) => current.clone(),
        None => {
            let loaded = sink.load_cursor(&config.name).await?;
            let parsed = FeedCursor::parse(loaded, &config.name);
            *cursor = Some(parsed.clone());
            parsed
        }
    };
    match poll_feed(client, config, &current).await? {
        FeedPoll::NotModified => {
            status.success(0, None);
        }
        FeedPoll::Fetched {
            posts,
            cursor: next,
        } => {
            let newest = posts.iter().map(|post| post.created_at).max();
            let encoded = serde_json::to_string(&next).map_err(|error| {
                ConnectorError::Protocol(format!("cannot encode the feed cursor: {error}"))
            })?;
            let outcome = sink
                .ingest(posts, Some(CursorUpdate::new(&config.name, encoded)))
                .await?;
            *cursor = Some(next);
            status.success(outcome.inserted, newest);
        }
    }
    Ok(())
}
