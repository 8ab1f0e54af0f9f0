//! Mastodon against a loopback fake speaking its REST, Link paging, SSE streaming and statuses
//! API with documented entity shapes.

use super::common::{fixture, serve, wait_until};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchyard_connectors::mastodon::{MastodonConfig, MastodonSender, status_to_post};
use switchyard_connectors::{
    ConnectorConfig, CursorUpdate, DeliveryOutcome, MemorySink, OutgoingReply, PostSink,
    ReplySender, Secret, SentLedger, SkipOwnPosts, StatusRegistry, accept_all, spawn,
};
use switchyard_domain::{Channel, Visibility};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "test-access-token";

struct Fake {
    statuses: Vec<Value>,
    notifications: Vec<Value>,
    requests: Vec<(Instant, String)>,
    rate_limit_next: u32,
    /// Answer the next successful page with `X-RateLimit-Remaining: 0` and a reset 2 s ahead.
    budget_spent_next: bool,
    next_id: u64,
    idempotency: HashMap<String, Value>,
    posted: Vec<(Option<String>, Value)>,
    stream_connections: u32,
    events: broadcast::Sender<(String, String)>,
}

type Shared = Arc<Mutex<Fake>>;

fn make_status(id: u64, text: &str, acct: &str) -> Value {
    let mut status: Value = serde_json::from_str(&fixture("mastodon/status.json")).unwrap();
    status["id"] = json!(id.to_string());
    status["content"] = json!(format!("<p>{text}</p>"));
    status["account"]["acct"] = json!(acct);
    status["uri"] = json!(format!("https://fedi.example/users/x/statuses/{id}"));
    if acct == "acme_support" {
        status["account"]["id"] = json!("1");
    }
    status
}

fn id_of(value: &Value) -> u64 {
    value["id"].as_str().unwrap().parse().unwrap()
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {TOKEN}"))
}

/// Mastodon's paging: with `min_id`, the page right after it (oldest first chunk), newest first.
fn page(items: &[Value], query: &HashMap<String, String>, base: &str) -> (Vec<Value>, String) {
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20);
    let mut sorted: Vec<Value> = items.to_vec();
    sorted.sort_by_key(id_of);
    let chosen: Vec<Value> = match query.get("min_id").and_then(|m| m.parse::<u64>().ok()) {
        Some(min) => sorted
            .into_iter()
            .filter(|s| id_of(s) > min)
            .take(limit)
            .collect(),
        None => {
            let skip = sorted.len().saturating_sub(limit);
            sorted.into_iter().skip(skip).collect()
        }
    };
    let mut newest_first = chosen;
    newest_first.reverse();
    let link = match (newest_first.first(), newest_first.last()) {
        (Some(newest), Some(oldest)) => format!(
            "<{base}?limit={limit}&max_id={}>; rel=\"next\", <{base}?limit={limit}&min_id={}>; rel=\"prev\"",
            id_of(oldest),
            id_of(newest)
        ),
        _ => String::new(),
    };
    (newest_first, link)
}

fn gate(fake: &mut Fake, headers: &HeaderMap, uri: &str) -> Option<Response> {
    fake.requests.push((Instant::now(), uri.to_string()));
    if !authorized(headers) {
        return Some(
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": "The access token is invalid"})),
            )
                .into_response(),
        );
    }
    if fake.rate_limit_next > 0 {
        fake.rate_limit_next -= 1;
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"error": "Too many requests"})),
        )
            .into_response();
        response
            .headers_mut()
            .insert("retry-after", "2".parse().unwrap());
        response
            .headers_mut()
            .insert("x-ratelimit-remaining", "0".parse().unwrap());
        return Some(response);
    }
    None
}

use axum::Json;

async fn tag_timeline(
    State(state): State<Shared>,
    Path(tag): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let mut fake = state.lock().unwrap();
    if let Some(response) = gate(&mut fake, &headers, &uri.to_string()) {
        return response;
    }
    let base = format!(
        "http://{}/api/v1/timelines/tag/{tag}",
        headers.get(header::HOST).unwrap().to_str().unwrap()
    );
    let (items, link) = page(&fake.statuses, &query, &base);
    let mut response = Json(items).into_response();
    if !link.is_empty() {
        response
            .headers_mut()
            .insert(header::LINK, link.parse().unwrap());
    }
    if fake.budget_spent_next {
        fake.budget_spent_next = false;
        let reset = (chrono::Utc::now() + chrono::Duration::seconds(2))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-limit", "300".parse().unwrap());
        headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
        headers.insert("x-ratelimit-reset", reset.parse().unwrap());
    }
    response
}

async fn notifications(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let mut fake = state.lock().unwrap();
    if let Some(response) = gate(&mut fake, &headers, &uri.to_string()) {
        return response;
    }
    assert!(uri.to_string().contains("types%5B%5D=mention"), "{uri}");
    let (items, _) = page(&fake.notifications, &query, "");
    Json(items).into_response()
}

async fn search(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let mut fake = state.lock().unwrap();
    if let Some(response) = gate(&mut fake, &headers, &uri.to_string()) {
        return response;
    }
    assert_eq!(query.get("type").map(String::as_str), Some("statuses"));
    let q = query.get("q").cloned().unwrap_or_default();
    let matching: Vec<Value> = fake
        .statuses
        .iter()
        .filter(|s| s["content"].as_str().unwrap().contains(&q))
        .cloned()
        .collect();
    let (items, _) = page(&matching, &query, "");
    Json(json!({"accounts": [], "statuses": items, "hashtags": []})).into_response()
}

async fn stream_hashtag(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    assert_eq!(query.get("tag").map(String::as_str), Some("acme"));
    let receiver = {
        let mut fake = state.lock().unwrap();
        fake.stream_connections += 1;
        fake.events.subscribe()
    };
    let events = futures_util::stream::unfold(receiver, |mut receiver| async move {
        match receiver.recv().await {
            Ok((name, _)) if name == "__close__" => None,
            Ok((name, data)) => Some((
                Ok::<_, Infallible>(Event::default().event(name).data(data)),
                receiver,
            )),
            Err(_) => None,
        }
    });
    Sse::new(events).into_response()
}

async fn verify_credentials(headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "The access token is invalid"})),
        )
            .into_response();
    }
    Json(json!({"id": "1", "username": "acme_support", "acct": "acme_support", "display_name": "Acme Support", "url": "https://mastodon.example/@acme_support", "followers_count": 5000, "bot": false})).into_response()
}

async fn post_status(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut fake = state.lock().unwrap();
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    fake.posted.push((key.clone(), body.clone()));
    if let Some(existing) = key.as_ref().and_then(|k| fake.idempotency.get(k)) {
        return Json(existing.clone()).into_response();
    }
    let Some(text) = body["status"]
        .as_str()
        .filter(|text| !text.trim().is_empty())
    else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"error": "Validation failed: Text can't be blank"})),
        )
            .into_response();
    };
    fake.next_id += 1;
    let mut status = make_status(fake.next_id, text, "acme_support");
    status["in_reply_to_id"] = body["in_reply_to_id"].clone();
    status["visibility"] = body["visibility"].clone();
    if let Some(key) = key {
        fake.idempotency.insert(key, status.clone());
    }
    if body["visibility"] == "public" {
        fake.statuses.push(status.clone());
        let _ = fake.events.send(("update".to_string(), status.to_string()));
    }
    Json(status).into_response()
}

async fn start() -> (Shared, String) {
    let (events, _) = broadcast::channel(64);
    let state: Shared = Arc::new(Mutex::new(Fake {
        statuses: Vec::new(),
        notifications: Vec::new(),
        requests: Vec::new(),
        rate_limit_next: 0,
        budget_spent_next: false,
        next_id: 900,
        idempotency: HashMap::new(),
        posted: Vec::new(),
        stream_connections: 0,
        events,
    }));
    let router = axum::Router::new()
        .route("/api/v1/timelines/tag/{tag}", get(tag_timeline))
        .route("/api/v1/notifications", get(notifications))
        .route("/api/v2/search", get(search))
        .route("/api/v1/streaming/hashtag", get(stream_hashtag))
        .route("/api/v1/statuses", post(post_status))
        .route(
            "/api/v1/accounts/verify_credentials",
            get(verify_credentials),
        )
        .with_state(state.clone());
    let address = serve(router).await;
    (state, format!("http://{address}"))
}

fn add(state: &Shared, id: u64, text: &str) -> Value {
    let status = make_status(id, text, "amy@fedi.example");
    state.lock().unwrap().statuses.push(status.clone());
    status
}

fn ids(sink: &MemorySink) -> Vec<String> {
    sink.posts().iter().map(|p| p.external_id.clone()).collect()
}

#[test]
fn status_json_maps_to_a_post() {
    let status = serde_json::from_str(&fixture("mastodon/status.json")).unwrap();
    let post = status_to_post(&status).unwrap();
    assert_eq!(post.channel, Channel::Mastodon);
    assert_eq!(post.external_id, "113270115826048975");
    assert_eq!(
        post.text,
        "Third week waiting for a refund from @acme_support \"processing\" forever #acme\n\nAnyone else?"
    );
    assert_eq!(post.author.handle, "amy@fedi.example");
    assert_eq!(post.author.followers, Some(2341));
    assert_eq!(post.engagement.likes, 11);
    assert_eq!(post.visibility, Visibility::Public);
    assert_eq!(
        post.permalink.as_deref(),
        Some("https://fedi.example/@amy/113270115826048975")
    );
    let notification: Value =
        serde_json::from_str(&fixture("mastodon/notification_mention.json")).unwrap();
    let direct =
        status_to_post(&serde_json::from_value(notification["status"].clone()).unwrap()).unwrap();
    assert_eq!(direct.visibility, Visibility::Private);
}

#[tokio::test]
async fn rest_polling_pages_through_link_and_resumes_after_restart() {
    let (fake, base) = start().await;
    for id in 101..=105 {
        add(&fake, id, &format!("refund still missing {id}"));
    }
    let mut mention: Value =
        serde_json::from_str(&fixture("mastodon/notification_mention.json")).unwrap();
    fake.lock().unwrap().notifications.push(mention.clone());
    mention["id"] = json!("34975862");
    mention["type"] = json!("favourite");
    fake.lock().unwrap().notifications.push(mention);

    let sink = MemorySink::new();
    sink.ingest(vec![], Some(CursorUpdate::new("social:tag:acme", "100")))
        .await
        .unwrap();
    let mut config = MastodonConfig::new("social", &base, Secret::new(TOKEN));
    config.hashtags = vec!["acme".to_string()];
    config.searches = vec!["refund".to_string()];
    config.page_limit = 2;
    config.poll_interval_secs = 1;
    let status = StatusRegistry::new();
    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Mastodon(config.clone()),
        sink.clone(),
        &status,
        shutdown.clone(),
        accept_all(),
    );
    assert!(
        wait_until(Duration::from_secs(5), || async { sink.posts().len() == 6 }).await,
        "{:?}",
        ids(&sink)
    );
    shutdown.cancel();
    task.await.unwrap();
    let got = ids(&sink);
    assert_eq!(&got[..5], ["101", "102", "103", "104", "105"]);
    assert_eq!(
        got[5], "113270115826049999",
        "the mention (not the favourite) is ingested"
    );
    assert_eq!(sink.cursor("social:tag:acme").as_deref(), Some("105"));
    assert_eq!(sink.cursor("social:mentions").as_deref(), Some("34975862"));
    let requests: Vec<String> = fake
        .lock()
        .unwrap()
        .requests
        .iter()
        .map(|r| r.1.clone())
        .collect();
    assert!(requests[0].contains("min_id=100"), "{requests:?}");
    assert!(
        requests[1].contains("min_id=102"),
        "Link rel=prev is followed: {requests:?}"
    );

    // New statuses while the connector is down; a restart picks up exactly those.
    add(&fake, 106, "still nothing");
    add(&fake, 107, "refund arrived, thanks");
    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Mastodon(config),
        sink.clone(),
        &status,
        shutdown.clone(),
        accept_all(),
    );
    assert!(
        wait_until(Duration::from_secs(5), || async { sink.posts().len() == 8 }).await,
        "{:?}",
        ids(&sink)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    shutdown.cancel();
    task.await.unwrap();
    assert_eq!(sink.posts().len(), 8);
    let search_cursor = sink.cursor("social:search:refund");
    assert_eq!(search_cursor.as_deref(), Some("107"));
    // The search sees the same statuses as the hashtag; the store's (channel, external_id) key
    // keeps them once. Nothing else is ever offered twice.
    assert!(
        sink.duplicates_offered() <= 7,
        "{}",
        sink.duplicates_offered()
    );
}

#[tokio::test]
async fn a_429_with_retry_after_is_honoured() {
    let (fake, base) = start().await;
    add(&fake, 101, "hello");
    fake.lock().unwrap().rate_limit_next = 1;
    let sink = MemorySink::new();
    let mut config = MastodonConfig::new("social", &base, Secret::new(TOKEN));
    config.hashtags = vec!["acme".to_string()];
    config.mentions = false;
    let status = StatusRegistry::new();
    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Mastodon(config),
        sink.clone(),
        &status,
        shutdown.clone(),
        accept_all(),
    );
    assert!(wait_until(Duration::from_secs(6), || async { sink.posts().len() == 1 }).await);
    shutdown.cancel();
    task.await.unwrap();
    let requests = fake.lock().unwrap().requests.clone();
    let waited = requests[1].0 - requests[0].0;
    assert!(
        waited >= Duration::from_millis(1950),
        "Retry-After: 2 must be honoured, waited {waited:?}"
    );
    let snapshot = status.get("social").unwrap();
    assert_eq!(snapshot.error_count, 1);
    assert!(snapshot.last_error.unwrap().contains("rate limited"));
}

#[tokio::test]
async fn a_spent_rate_limit_budget_pauses_until_the_reset() {
    let (fake, base) = start().await;
    for id in 101..=104 {
        add(&fake, id, "hello");
    }
    fake.lock().unwrap().budget_spent_next = true;
    let sink = MemorySink::new();
    sink.ingest(vec![], Some(CursorUpdate::new("social:tag:acme", "100")))
        .await
        .unwrap();
    let mut config = MastodonConfig::new("social", &base, Secret::new(TOKEN));
    config.hashtags = vec!["acme".to_string()];
    config.mentions = false;
    config.page_limit = 2;
    config.poll_interval_secs = 1;
    let status = StatusRegistry::new();
    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Mastodon(config),
        sink.clone(),
        &status,
        shutdown.clone(),
        accept_all(),
    );
    assert!(wait_until(Duration::from_secs(8), || async { sink.posts().len() == 4 }).await);
    shutdown.cancel();
    task.await.unwrap();
    let requests = fake.lock().unwrap().requests.clone();
    let paused = requests[1].0 - requests[0].0;
    assert!(
        paused >= Duration::from_millis(1500),
        "X-RateLimit-Remaining: 0 must pause until X-RateLimit-Reset, waited {paused:?}: {requests:?}"
    );
    assert_eq!(
        status.get("social").unwrap().error_count,
        0,
        "a spent budget is not an error"
    );
}

#[tokio::test]
async fn wrong_token_is_reported_and_retried_not_fatal() {
    let (fake, base) = start().await;
    add(&fake, 101, "hello");
    let mut config = MastodonConfig::new("social", &base, Secret::new("wrong-token"));
    config.hashtags = vec!["acme".to_string()];
    let status = StatusRegistry::new();
    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Mastodon(config),
        MemorySink::new(),
        &status,
        shutdown.clone(),
        accept_all(),
    );
    assert!(
        wait_until(Duration::from_secs(5), || async {
            status.get("social").unwrap().error_count >= 1
        })
        .await
    );
    let error = status.get("social").unwrap().last_error.unwrap();
    assert!(
        error.contains("refused our credentials") && !error.contains("wrong-token"),
        "{error}"
    );
    shutdown.cancel();
    task.await.unwrap();
}

async fn wait_connections(fake: &Shared, count: u32) {
    assert!(
        wait_until(Duration::from_secs(10), || async {
            fake.lock().unwrap().stream_connections >= count
        })
        .await,
        "stream connection #{count} never came"
    );
    // Let the catch-up that follows the connection finish.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

fn broadcast(fake: &Shared, event: &str, data: String) {
    let _ = fake.lock().unwrap().events.send((event.to_string(), data));
}

#[tokio::test]
async fn stream_restart_resumes_without_loss_or_duplicates_and_our_reply_is_not_ingested() {
    let (fake, base) = start().await;
    add(&fake, 101, "before start one");
    add(&fake, 102, "before start two");
    let store = MemorySink::new();
    store
        .ingest(vec![], Some(CursorUpdate::new("social:tag:acme", "100")))
        .await
        .unwrap();
    let ledger = SentLedger::default();
    let sink = Arc::new(SkipOwnPosts::new(store.clone(), ledger.clone()));
    let mut config = MastodonConfig::new("social", &base, Secret::new(TOKEN));
    config.streams = vec!["hashtag:acme".to_string()];
    config.mentions = false;
    let status = StatusRegistry::new();

    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Mastodon(config.clone()),
        sink.clone(),
        &status,
        shutdown.clone(),
        accept_all(),
    );
    wait_connections(&fake, 1).await;
    assert!(
        wait_until(Duration::from_secs(5), || async {
            store.posts().len() == 2
        })
        .await,
        "caught up over REST after connecting: {:?}",
        ids(&store)
    );
    assert_eq!(ids(&store), ["101", "102"]);

    for (id, text) in [(103, "live one"), (104, "live two")] {
        let status = add(&fake, id, text);
        broadcast(&fake, "update", status.to_string());
    }
    broadcast(&fake, "update", "{\"id\": \"105\", not json".to_string());
    broadcast(
        &fake,
        "update",
        json!({"id": "106", "content": "no account"}).to_string(),
    );
    broadcast(&fake, "delete", "103".to_string());
    assert!(
        wait_until(Duration::from_secs(5), || async {
            store.posts().len() == 4
        })
        .await,
        "{:?}",
        ids(&store)
    );
    assert!(
        wait_until(Duration::from_secs(5), || async {
            status.get("social").unwrap().rejected_payloads == 2
        })
        .await
    );

    // The server drops the stream; a status posted meanwhile is fetched on reconnect.
    broadcast(&fake, "__close__", String::new());
    add(&fake, 105, "posted while the stream was down");
    wait_connections(&fake, 2).await;
    assert!(
        wait_until(Duration::from_secs(5), || async {
            store.posts().len() == 5
        })
        .await,
        "{:?}",
        ids(&store)
    );

    // Switchyard itself restarts; a status posted meanwhile is fetched on start.
    shutdown.cancel();
    task.await.unwrap();
    add(&fake, 106, "posted while switchyard was down");
    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Mastodon(config.clone()),
        sink.clone(),
        &status,
        shutdown.clone(),
        accept_all(),
    );
    wait_connections(&fake, 3).await;
    assert!(
        wait_until(Duration::from_secs(5), || async {
            store.posts().len() == 6
        })
        .await,
        "{:?}",
        ids(&store)
    );

    // We reply; the instance echoes our status on the hashtag stream; it is not ingested back.
    let sender = MastodonSender::new(config.clone())
        .unwrap()
        .with_ledger(ledger.clone());
    let reply = OutgoingReply {
        channel: Channel::Mastodon,
        in_reply_to: Some("106".to_string()),
        thread: None,
        to: Some("amy@fedi.example".to_string()),
        subject: None,
        text: "Sorry for the wait! #acme".to_string(),
        private: false,
        idempotency_key: "outbox-1".to_string(),
    };
    let outcome = sender.send(&reply).await;
    let DeliveryOutcome::Delivered { external_id } = outcome.clone() else {
        panic!("{outcome:?}")
    };
    assert_eq!(external_id, "901");
    assert_eq!(
        sender.send(&reply).await,
        outcome,
        "the Idempotency-Key makes a retry safe"
    );
    let later = add(&fake, 902, "customer again");
    broadcast(&fake, "update", later.to_string());
    assert!(
        wait_until(Duration::from_secs(5), || async {
            store.posts().len() == 7
        })
        .await,
        "{:?}",
        ids(&store)
    );
    shutdown.cancel();
    task.await.unwrap();

    assert_eq!(
        ids(&store),
        ["101", "102", "103", "104", "105", "106", "902"]
    );
    assert_eq!(store.duplicates_offered(), 0, "nothing was offered twice");
    let posted = fake.lock().unwrap().posted.clone();
    assert_eq!(posted[0].0.as_deref(), Some("outbox-1"));
    assert_eq!(posted[0].1["in_reply_to_id"], "106");
    assert_eq!(posted[0].1["visibility"], "public");
    assert_eq!(
        posted[0].1["status"],
        "@amy@fedi.example Sorry for the wait! #acme"
    );

    let dm = OutgoingReply {
        private: true,
        idempotency_key: "outbox-2".to_string(),
        text: "Could you DM me the order number?".to_string(),
        ..reply
    };
    assert!(matches!(
        sender.send(&dm).await,
        DeliveryOutcome::Delivered { .. }
    ));
    let posted = fake.lock().unwrap().posted.clone();
    assert_eq!(posted[2].1["visibility"], "direct");
    let empty = OutgoingReply {
        text: String::new(),
        to: None,
        private: false,
        idempotency_key: "outbox-3".to_string(),
        ..dm
    };
    assert!(
        matches!(sender.send(&empty).await, DeliveryOutcome::Rejected { .. }),
        "422 is permanent"
    );
}

#[tokio::test]
async fn an_endless_streaming_event_is_cut_off_and_the_stream_reconnects() {
    let (fake, base) = start().await;
    let store = MemorySink::new();
    store
        .ingest(vec![], Some(CursorUpdate::new("social:tag:acme", "100")))
        .await
        .unwrap();
    let mut config = MastodonConfig::new("social", &base, Secret::new(TOKEN));
    config.streams = vec!["hashtag:acme".to_string()];
    config.mentions = false;
    let status = StatusRegistry::new();
    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Mastodon(config),
        store.clone(),
        &status,
        shutdown.clone(),
        accept_all(),
    );
    wait_connections(&fake, 1).await;
    // 3 MB of `data:` in one event: more than a client should ever buffer.
    broadcast(&fake, "update", "x".repeat(3 * 1024 * 1024));
    wait_connections(&fake, 2).await;
    let status_json = add(&fake, 101, "still listening");
    broadcast(&fake, "update", status_json.to_string());
    assert!(
        wait_until(Duration::from_secs(5), || async {
            store.posts().len() == 1
        })
        .await
    );
    shutdown.cancel();
    task.await.unwrap();
    assert!(
        status
            .get("social")
            .unwrap()
            .last_error
            .unwrap()
            .contains("exceeded")
    );
}
