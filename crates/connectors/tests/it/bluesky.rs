//! Bluesky against a loopback Jetstream (WebSocket, `wantedCollections`, `cursor` replay) and a
//! loopback PDS speaking the XRPC methods a reply needs.

use super::common::{fixture, serve, wait_until};
use axum::Json;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchyard_connectors::bluesky::{BlueskyConfig, BlueskySender};
use switchyard_connectors::{
    ConnectorConfig, CursorUpdate, DeliveryOutcome, MemorySink, OutgoingReply, PostFilter,
    PostSink, ReplySender, Secret, SentLedger, SkipOwnPosts, StatusRegistry, spawn,
};
use switchyard_domain::Channel;
use tokio_util::sync::CancellationToken;

const T0: u64 = 1795425164000000;

#[derive(Default)]
struct Fake {
    /// Raw Jetstream lines, in time order.
    events: Vec<String>,
    /// Close the next connection after this many messages.
    drop_after: Option<usize>,
    /// The `cursor` each connection asked for.
    connections: Vec<Option<u64>>,
    collections: Vec<String>,
    // XRPC
    sessions: u32,
    expire_next: bool,
    rate_limit_next: bool,
    created: Vec<Value>,
    resolved: u32,
}

type Shared = Arc<Mutex<Fake>>;

fn time_of(line: &str) -> u64 {
    // Malformed lines still carry a time_us for the replay ordering.
    let start = line.find("\"time_us\":").unwrap() + 10;
    line[start..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .unwrap()
}

async fn subscribe(
    State(state): State<Shared>,
    Query(query): Query<Vec<(String, String)>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let cursor = query
        .iter()
        .find(|(k, _)| k == "cursor")
        .and_then(|(_, v)| v.parse::<u64>().ok());
    {
        let mut fake = state.lock().unwrap();
        fake.connections.push(cursor);
        fake.collections = query
            .iter()
            .filter(|(k, _)| k == "wantedCollections")
            .map(|(_, v)| v.clone())
            .collect();
    }
    upgrade.on_upgrade(move |socket| play(socket, state, cursor))
}

/// Jetstream semantics: with a cursor, replay from it (inclusive) and then stay live; without
/// one, live only.
async fn play(mut socket: WebSocket, state: Shared, cursor: Option<u64>) {
    let mut sent = 0usize;
    let mut next_index = match cursor {
        Some(cursor) => state
            .lock()
            .unwrap()
            .events
            .iter()
            .position(|line| time_of(line) >= cursor)
            .unwrap_or(usize::MAX),
        None => state.lock().unwrap().events.len(),
    };
    let drop_after = state.lock().unwrap().drop_after.take();
    loop {
        let line = {
            let fake = state.lock().unwrap();
            if next_index == usize::MAX {
                next_index = fake.events.len();
            }
            fake.events.get(next_index).cloned()
        };
        match line {
            Some(line) => {
                if socket.send(Message::Text(line.into())).await.is_err() {
                    return;
                }
                next_index += 1;
                sent += 1;
                if drop_after == Some(sent) {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            }
            None => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_string)
}

async fn create_session(State(state): State<Shared>, Json(body): Json<Value>) -> Response {
    if body["identifier"] != "acme.example" || body["password"] != "abcd-efgh-ijkl-mnop" {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "AuthenticationRequired", "message": "Invalid identifier or password"}))).into_response();
    }
    let mut fake = state.lock().unwrap();
    fake.sessions += 1;
    Json(json!({
        "did": "did:plc:acmeacmeacmeacmeacmeacme",
        "handle": "acme.example",
        "email": "social@acme.example",
        "emailConfirmed": true,
        "accessJwt": format!("access-{}", fake.sessions),
        "refreshJwt": format!("refresh-{}", fake.sessions),
        "active": true
    }))
    .into_response()
}

fn current_token(fake: &Fake) -> String {
    format!("access-{}", fake.sessions)
}

async fn get_posts(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let fake = state.lock().unwrap();
    if bearer(&headers) != Some(current_token(&fake)) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "AuthenticationRequired"})),
        )
            .into_response();
    }
    let uri = query.get("uris").cloned().unwrap_or_default();
    let Some(line) = fake.events.iter().find(|line| {
        serde_json::from_str::<Value>(line)
            .ok()
            .is_some_and(|event| {
                event["commit"]["rkey"].as_str().is_some_and(|rkey| {
                    uri == format!(
                        "at://{}/app.bsky.feed.post/{rkey}",
                        event["did"].as_str().unwrap()
                    )
                })
            })
    }) else {
        return Json(json!({"posts": []})).into_response();
    };
    let event: Value = serde_json::from_str(line).unwrap();
    Json(json!({"posts": [{
        "uri": uri,
        "cid": event["commit"]["cid"],
        "author": {"did": event["did"], "handle": "someone.bsky.social"},
        "record": event["commit"]["record"],
        "replyCount": 0, "repostCount": 0, "likeCount": 0, "quoteCount": 0,
        "indexedAt": "2026-11-23T09:12:04.000Z",
        "labels": []
    }]}))
    .into_response()
}

async fn create_record(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut fake = state.lock().unwrap();
    if fake.rate_limit_next {
        fake.rate_limit_next = false;
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"})),
        )
            .into_response();
        response
            .headers_mut()
            .insert("ratelimit-reset", "2".parse().unwrap());
        response
            .headers_mut()
            .insert("ratelimit-remaining", "0".parse().unwrap());
        return response;
    }
    if fake.expire_next {
        fake.expire_next = false;
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "ExpiredToken", "message": "Token has expired"})),
        )
            .into_response();
    }
    if bearer(&headers) != Some(current_token(&fake)) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "InvalidToken", "message": "Token could not be verified"})),
        )
            .into_response();
    }
    fake.created.push(body.clone());
    let rkey = format!("3lbqzz{}", fake.created.len());
    Json(json!({
        "uri": format!("at://did:plc:acmeacmeacmeacmeacmeacme/app.bsky.feed.post/{rkey}"),
        "cid": "bafyreibjifzpqj6o6wcq3hejh7y4z4z2vmiklkvykc57tw3pcbx3kxifpm",
        "commit": {"cid": "bafyreigwaibbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "rev": "3lbqzzzzzzz2a"},
        "validationStatus": "valid"
    }))
    .into_response()
}

async fn resolve_handle(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    state.lock().unwrap().resolved += 1;
    if query.get("handle").map(String::as_str) == Some("acme.example") {
        Json(json!({"did": "did:plc:acmeacmeacmeacmeacmeacme"})).into_response()
    } else {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "InvalidRequest", "message": "Unable to resolve handle"})),
        )
            .into_response()
    }
}

async fn start() -> (Shared, String, String) {
    let state: Shared = Arc::new(Mutex::new(Fake {
        events: fixture("bluesky/jetstream_events.jsonl")
            .lines()
            .map(str::to_string)
            .collect(),
        ..Fake::default()
    }));
    let router = axum::Router::new()
        .route("/subscribe", get(subscribe))
        .route(
            "/xrpc/com.atproto.server.createSession",
            post(create_session),
        )
        .route("/xrpc/app.bsky.feed.getPosts", get(get_posts))
        .route("/xrpc/com.atproto.repo.createRecord", post(create_record))
        .route(
            "/xrpc/com.atproto.identity.resolveHandle",
            get(resolve_handle),
        )
        .with_state(state.clone());
    let address = serve(router).await;
    (
        state,
        format!("ws://{address}/subscribe"),
        format!("http://{address}"),
    )
}

fn no_spam() -> PostFilter {
    Arc::new(|post| !post.text.to_lowercase().contains("spam"))
}

fn uris(sink: &MemorySink) -> Vec<String> {
    sink.posts()
        .iter()
        .map(|p| p.external_id.rsplit('/').next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn jetstream_filters_rejects_hostile_events_and_resumes_without_loss_or_duplicates() {
    let (fake, jetstream, _) = start().await;
    fake.lock().unwrap().drop_after = Some(5);
    let sink = MemorySink::new();
    sink.ingest(
        vec![],
        Some(CursorUpdate::new("bsky", (T0 - 1).to_string())),
    )
    .await
    .unwrap();
    let mut config = BlueskyConfig::new("bsky", &jetstream);
    config.keywords = vec!["acme".to_string()];
    let status = StatusRegistry::new();
    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Bluesky(config.clone()),
        sink.clone(),
        &status,
        shutdown.clone(),
        no_spam(),
    );
    let last = T0 + 12_000;
    assert!(
        wait_until(Duration::from_secs(10), || async {
            sink.cursor("bsky") == Some(last.to_string())
        })
        .await,
        "cursor {:?}, posts {:?}",
        sink.cursor("bsky"),
        uris(&sink)
    );
    assert_eq!(uris(&sink), ["3lbqa1", "3lbqa3", "3lbqaa", "3lbqac"]);
    let connections = fake.lock().unwrap().connections.clone();
    assert_eq!(connections[0], Some(T0 - 1));
    assert_eq!(
        connections[1],
        Some(T0 + 5000),
        "reconnected from the cursor saved when the stream dropped"
    );
    assert_eq!(fake.lock().unwrap().collections, ["app.bsky.feed.post"]);

    let posts = sink.posts();
    assert_eq!(
        posts[0].external_id,
        "at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3lbqa1"
    );
    assert_eq!(posts[0].channel, Channel::Bluesky);
    assert_eq!(
        posts[1].parent_id.as_deref(),
        Some("at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3lbqa1")
    );
    assert_eq!(posts[1].thread_id, posts[1].parent_id);
    assert_eq!(
        posts[1].meta["cid"],
        "bafyreih0003q6rjqy4dwv3dbnqm5rl7o2ubyyvbg5thd4mw2qgwtv6dp6vae"
    );
    assert_eq!(posts[2].language.as_deref(), Some("de"));
    assert_eq!(
        posts[0].created_at.to_rfc3339(),
        "2026-11-23T09:12:01.001+00:00"
    );
    let snapshot = status.get("bsky").unwrap();
    assert_eq!(
        snapshot.rejected_payloads, 2,
        "the truncated event and the bad DID"
    );
    assert_eq!(snapshot.items_ingested, 4);

    // Restart: resumes at the saved cursor, re-offers nothing, and picks up what comes next.
    shutdown.cancel();
    task.await.unwrap();
    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Bluesky(config),
        sink.clone(),
        &status,
        shutdown.clone(),
        no_spam(),
    );
    assert!(
        wait_until(Duration::from_secs(5), || async {
            fake.lock().unwrap().connections.len() == 3
        })
        .await
    );
    assert_eq!(fake.lock().unwrap().connections[2], Some(last));
    let fresh = json!({"did": "did:plc:newcustomer00000000000000", "time_us": last + 1000, "kind": "commit", "commit": {"rev": "3lbq0013xyz2a", "operation": "create", "collection": "app.bsky.feed.post", "rkey": "3lbqad", "record": {"$type": "app.bsky.feed.post", "text": "is acme down?", "createdAt": "2026-11-23T09:13:00.000Z", "langs": ["en"]}, "cid": "bafyreih0013"}});
    fake.lock().unwrap().events.push(fresh.to_string());
    assert!(wait_until(Duration::from_secs(5), || async { sink.posts().len() == 5 }).await);
    shutdown.cancel();
    task.await.unwrap();
    assert_eq!(sink.duplicates_offered(), 0, "nothing was offered twice");
}

#[tokio::test]
async fn replies_go_out_through_xrpc_with_strong_references_and_are_not_ingested_back() {
    let (fake, jetstream, service) = start().await;
    let mut config = BlueskyConfig::new("bsky", &jetstream);
    config.service_url = service.clone();
    config.identifier = Some("acme.example".to_string());
    config.app_password = Some(Secret::new("abcd-efgh-ijkl-mnop"));
    let ledger = SentLedger::default();
    let sender = BlueskySender::new(&config)
        .unwrap()
        .with_ledger(ledger.clone());
    let reply = OutgoingReply {
        channel: Channel::Bluesky,
        in_reply_to: Some(
            "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3lbqa3".to_string(),
        ),
        thread: None,
        to: None,
        subject: None,
        text: "Sorry for the wait! We've sent you a DM by email.".to_string(),
        private: false,
        idempotency_key: "outbox-7".to_string(),
    };

    fake.lock().unwrap().rate_limit_next = true;
    let outcome = sender.send(&reply).await;
    assert!(
        matches!(outcome, DeliveryOutcome::Retry { after: Some(after), .. } if after == Duration::from_secs(2)),
        "{outcome:?}"
    );

    fake.lock().unwrap().expire_next = true;
    let outcome = sender.send(&reply).await;
    let DeliveryOutcome::Delivered { external_id } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        external_id,
        "at://did:plc:acmeacmeacmeacmeacmeacme/app.bsky.feed.post/3lbqzz1"
    );
    assert_eq!(
        fake.lock().unwrap().sessions,
        2,
        "an expired session is renewed once"
    );
    let created = fake.lock().unwrap().created[0].clone();
    assert_eq!(created["repo"], "did:plc:acmeacmeacmeacmeacmeacme");
    assert_eq!(created["collection"], "app.bsky.feed.post");
    assert_eq!(created["record"]["$type"], "app.bsky.feed.post");
    assert_eq!(created["record"]["text"], reply.text);
    assert_eq!(
        created["record"]["reply"]["parent"]["uri"],
        "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3lbqa3"
    );
    assert_eq!(
        created["record"]["reply"]["parent"]["cid"],
        "bafyreih0003q6rjqy4dwv3dbnqm5rl7o2ubyyvbg5thd4mw2qgwtv6dp6vae"
    );
    assert_eq!(
        created["record"]["reply"]["root"]["uri"],
        "at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3lbqa1"
    );
    assert_eq!(
        created["record"]["reply"]["root"]["cid"],
        "bafyreih0001q6rjqy4dwv3dbnqm5rl7o2ubyyvbg5thd4mw2qgwtv6dp6vae"
    );

    // Jetstream then carries our own post; it is skipped, the customer's next post is not.
    let store = MemorySink::new();
    store
        .ingest(
            vec![],
            Some(CursorUpdate::new("bsky", (T0 + 12_000).to_string())),
        )
        .await
        .unwrap();
    let sink = Arc::new(SkipOwnPosts::new(store.clone(), ledger));
    let status = StatusRegistry::new();
    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Bluesky(config.clone()),
        sink,
        &status,
        shutdown.clone(),
        no_spam(),
    );
    for (index, (did, rkey, text)) in [
        (
            "did:plc:acmeacmeacmeacmeacmeacme",
            "3lbqzz1",
            "Sorry for the wait! We've sent you a DM by email.",
        ),
        (
            "did:plc:z72i7hdynmk6r22z27h6tvur",
            "3lbqae",
            "thanks acme, got it",
        ),
    ]
    .iter()
    .enumerate()
    {
        let event = json!({"did": did, "time_us": T0 + 20_000 + index as u64, "kind": "commit", "commit": {"rev": "r", "operation": "create", "collection": "app.bsky.feed.post", "rkey": rkey, "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-11-23T09:20:00.000Z"}, "cid": "bafy"}});
        fake.lock().unwrap().events.push(event.to_string());
    }
    assert!(
        wait_until(Duration::from_secs(5), || async {
            store.cursor("bsky") == Some((T0 + 20_001).to_string())
        })
        .await
    );
    shutdown.cancel();
    task.await.unwrap();
    assert_eq!(uris(&store), ["3lbqae"]);

    // Without the ledger (e.g. after a restart), our own DID still keeps our post out.
    let plain = MemorySink::new();
    plain
        .ingest(
            vec![],
            Some(CursorUpdate::new("bsky", (T0 + 12_000).to_string())),
        )
        .await
        .unwrap();
    let shutdown = CancellationToken::new();
    let task = spawn(
        ConnectorConfig::Bluesky(config.clone()),
        plain.clone(),
        &status,
        shutdown.clone(),
        no_spam(),
    );
    assert!(
        wait_until(Duration::from_secs(5), || async {
            plain.cursor("bsky") == Some((T0 + 20_001).to_string())
        })
        .await
    );
    shutdown.cancel();
    task.await.unwrap();
    assert_eq!(uris(&plain), ["3lbqae"]);
    assert!(
        fake.lock().unwrap().resolved >= 1,
        "the handle was resolved to our DID"
    );

    let mut wrong = config.clone();
    wrong.app_password = Some(Secret::new("not-it"));
    let outcome = BlueskySender::new(&wrong).unwrap().send(&reply).await;
    assert!(
        matches!(&outcome, DeliveryOutcome::Rejected { reason } if reason.contains("app password")),
        "{outcome:?}"
    );
    let private = OutgoingReply {
        private: true,
        ..reply
    };
    assert!(matches!(
        sender.send(&private).await,
        DeliveryOutcome::Rejected { .. }
    ));
}
