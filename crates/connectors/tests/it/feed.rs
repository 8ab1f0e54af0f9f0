//! Feed polling against a loopback HTTP server: conditional GET, dedupe, restart, 429, bad XML.

use super::common::{fixture, serve, wait_until};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchyard_connectors::feed::{FeedConfig, parse_feed};
use switchyard_connectors::{ConnectorConfig, MemorySink, StatusRegistry, accept_all, spawn};
use switchyard_domain::Channel;
use tokio_util::sync::CancellationToken;

/// A canned answer: status, one extra header, body.
type Canned = (StatusCode, Option<(&'static str, &'static str)>, String);

#[derive(Default)]
struct FakeFeed {
    body: String,
    etag: String,
    /// Answers to give before serving the feed again: (status, extra header).
    queued: Vec<Canned>,
    requests: Vec<(Instant, Option<String>)>,
    not_modified: u32,
}

type Shared = Arc<Mutex<FakeFeed>>;

async fn feed_handler(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let mut fake = state.lock().unwrap();
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    fake.requests.push((Instant::now(), if_none_match.clone()));
    if !fake.queued.is_empty() {
        let (status, extra, body) = fake.queued.remove(0);
        let mut response = (status, body).into_response();
        if let Some((name, value)) = extra {
            response.headers_mut().insert(name, value.parse().unwrap());
        }
        return response;
    }
    if if_none_match.as_deref() == Some(fake.etag.as_str()) {
        fake.not_modified += 1;
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml".to_string()),
            (header::ETAG, fake.etag.clone()),
            (
                header::LAST_MODIFIED,
                "Mon, 23 Nov 2026 09:40:00 GMT".to_string(),
            ),
        ],
        fake.body.clone(),
    )
        .into_response()
}

async fn start_fake(body: &str) -> (Shared, String) {
    let state: Shared = Arc::new(Mutex::new(FakeFeed {
        body: body.to_string(),
        etag: "\"v1\"".to_string(),
        ..FakeFeed::default()
    }));
    let router = axum::Router::new()
        .route("/forum.rss", axum::routing::get(feed_handler))
        .with_state(state.clone());
    let address = serve(router).await;
    (state, format!("http://{address}/forum.rss"))
}

fn config(url: &str) -> ConnectorConfig {
    let mut feed = FeedConfig::new("forum", url);
    feed.interval_secs = 1;
    feed.channel = Some(Channel::Forum);
    ConnectorConfig::Feed(feed)
}

#[test]
fn rss_atom_and_json_feed_entries_become_posts() {
    let rss = parse_feed(
        &FeedConfig::new("forum", "https://forum.acme.example/c/deliveries.rss"),
        fixture("feed/rss2.xml").as_bytes(),
    )
    .unwrap();
    assert_eq!(rss.len(), 2);
    assert_eq!(
        rss[0].external_id,
        "https://forum.acme.example/c/deliveries.rss#forum.acme.example-topic-1201"
    );
    assert_eq!(rss[0].author.handle, "lena_k");
    assert_eq!(
        rss[0].text,
        "Tracking page rejects my tracking number\n\nSince Tuesday the tracking page says \"invalid number\" for every parcel."
    );
    assert_eq!(rss[0].language.as_deref(), Some("en"));
    assert_eq!(rss[0].channel, Channel::Feed);
    assert_eq!(
        rss[1].external_id, "https://forum.acme.example/t/depot-opening-hours/1202",
        "no guid: the link is the id"
    );
    assert_eq!(
        rss[1].permalink.as_deref(),
        Some("https://forum.acme.example/t/depot-opening-hours/1202")
    );

    let atom = parse_feed(
        &FeedConfig::new("blog", "https://blog.example.de/feed.atom"),
        fixture("feed/atom.xml").as_bytes(),
    )
    .unwrap();
    assert_eq!(atom.len(), 1);
    assert_eq!(
        atom[0].external_id,
        "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    );
    assert_eq!(atom[0].author.handle, "Jana Vogel");
    assert!(
        atom[0]
            .text
            .contains("Nach drei Wochen Chaos kommen die Pakete wieder an.")
    );

    let json = parse_feed(
        &FeedConfig::new("reviews", "https://reviews.example.org/acme/feed.json"),
        fixture("feed/jsonfeed.json").as_bytes(),
    )
    .unwrap();
    assert_eq!(json.len(), 1);
    assert_eq!(
        json[0].external_id,
        "https://reviews.example.org/acme/feed.json#review-77120"
    );
    assert_eq!(json[0].author.handle, "Priya S.");
    assert_eq!(json[0].created_at.to_rfc3339(), "2026-11-21T19:02:00+00:00");

    let error = parse_feed(
        &FeedConfig::new("x", "https://x.example/f"),
        fixture("feed/malformed.xml").as_bytes(),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("malformed payload from feed x"),
        "{error}"
    );
}

#[test]
fn entity_expansion_bombs_do_not_expand() {
    let started = std::time::Instant::now();
    let result = parse_feed(
        &FeedConfig::new("bomb", "https://bomb.example/feed"),
        fixture("feed/billion_laughs.xml").as_bytes(),
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    if let Ok(posts) = result {
        for post in posts {
            assert!(
                post.text.len() < 10_000,
                "an entity was expanded: {} bytes",
                post.text.len()
            );
        }
    }
}

#[tokio::test]
async fn conditional_get_dedupe_and_restart_without_duplicates() {
    let (fake, url) = start_fake(&fixture("feed/rss2.xml")).await;
    let sink = MemorySink::new();
    let status = StatusRegistry::new();
    let shutdown = CancellationToken::new();
    let task = spawn(
        config(&url),
        sink.clone(),
        &status,
        shutdown.clone(),
        accept_all(),
    );

    assert!(wait_until(Duration::from_secs(5), || async { sink.posts().len() == 2 }).await);
    assert!(
        wait_until(Duration::from_secs(5), || async {
            fake.lock().unwrap().not_modified >= 1
        })
        .await,
        "second poll must be conditional and answered 304"
    );
    assert_eq!(
        fake.lock().unwrap().requests[1].1.as_deref(),
        Some("\"v1\"")
    );
    assert_eq!(sink.posts()[0].channel, Channel::Forum);

    shutdown.cancel();
    task.await.unwrap();

    // The feed changes while we are down; the server also stops honouring ETags.
    {
        let mut state = fake.lock().unwrap();
        state.body = fixture("feed/rss2_updated.xml");
        state.etag = "\"v2\"".to_string();
    }
    let shutdown = CancellationToken::new();
    let task = spawn(
        config(&url),
        sink.clone(),
        &status,
        shutdown.clone(),
        accept_all(),
    );
    assert!(wait_until(Duration::from_secs(5), || async { sink.posts().len() == 3 }).await);
    assert!(
        wait_until(Duration::from_secs(5), || async {
            fake.lock().unwrap().not_modified >= 2
        })
        .await
    );
    shutdown.cancel();
    task.await.unwrap();
    let posts = sink.posts();
    assert_eq!(posts.len(), 3, "nothing twice after a restart");
    assert!(posts[2].text.starts_with("Courier left my parcel"));
    let status = status.get("forum").unwrap();
    assert_eq!(status.items_ingested, 3);
    assert!(status.last_success.is_some());
}

#[tokio::test]
async fn honours_retry_after_and_survives_malformed_documents() {
    let (fake, url) = start_fake(&fixture("feed/rss2.xml")).await;
    fake.lock().unwrap().queued = vec![
        (
            StatusCode::TOO_MANY_REQUESTS,
            Some(("retry-after", "2")),
            "slow down".to_string(),
        ),
        (StatusCode::OK, None, fixture("feed/malformed.xml")),
    ];
    let sink = MemorySink::new();
    let status = StatusRegistry::new();
    let shutdown = CancellationToken::new();
    let task = spawn(
        config(&url),
        sink.clone(),
        &status,
        shutdown.clone(),
        accept_all(),
    );
    assert!(
        wait_until(Duration::from_secs(15), || async {
            sink.posts().len() == 2
        })
        .await,
        "the connector recovers and ingests"
    );
    shutdown.cancel();
    task.await.unwrap();

    let requests = fake.lock().unwrap().requests.clone();
    let after_429 = requests[1].0 - requests[0].0;
    assert!(
        after_429 >= Duration::from_millis(1950),
        "Retry-After: 2 must be honoured, waited {after_429:?}"
    );
    let status = status.get("forum").unwrap();
    assert_eq!(status.error_count, 2);
    assert!(status.last_error.unwrap().contains("malformed payload"));
}
