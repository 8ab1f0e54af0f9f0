//! Webhook endpoints: signatures, handshakes, size limits and payload mapping.

use super::common::fixture;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use std::sync::Arc;
use switchyard_connectors::webhook::{sign_base64, sign_hex};
use switchyard_connectors::{
    MemorySink, Secret, StatusRegistry, WebhookConfig, WebhookFlavor, WebhookState, webhook_router,
};
use switchyard_domain::{Channel, Visibility};
use tower::ServiceExt;

const SECRET: &str = "whsec-test-0123456789";

fn endpoints() -> Vec<WebhookConfig> {
    let mut generic = WebhookConfig::generic("chat", Secret::new(SECRET));
    generic.max_body_bytes = 4096;
    let mut meta = WebhookConfig::generic("facebook", Secret::new(SECRET));
    meta.flavor = WebhookFlavor::Meta;
    meta.verify_token = Some(Secret::new("verify-me"));
    let mut x = WebhookConfig::generic("x", Secret::new(SECRET));
    x.flavor = WebhookFlavor::X;
    vec![generic, meta, x]
}

fn app() -> (axum::Router, MemorySink, StatusRegistry) {
    let sink = MemorySink::new();
    let status = StatusRegistry::new();
    let state = WebhookState::new(endpoints(), Arc::new(sink.clone()), &status).unwrap();
    (webhook_router(state), sink, status)
}

async fn send(router: &axum::Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).to_string())
}

fn post(path: &str, header: Option<(&str, String)>, body: &str) -> Request<Body> {
    let mut builder = Request::post(path).header("content-type", "application/json");
    if let Some((name, value)) = header {
        builder = builder.header(name, value);
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn generic_endpoint_accepts_signed_posts_and_refuses_the_rest() {
    let (router, sink, status) = app();
    let body = fixture("webhook/generic_chat.json");

    let (code, _) = send(&router, post("/chat", None, &body)).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED, "unsigned must be refused");
    let wrong = format!("sha256={}", sign_hex("not-the-secret", body.as_bytes()));
    let (code, _) = send(
        &router,
        post("/chat", Some(("x-switchyard-signature", wrong)), &body),
    )
    .await;
    assert_eq!(
        code,
        StatusCode::UNAUTHORIZED,
        "a wrong secret must be refused"
    );
    let tampered = body.replace("double charge", "single charge");
    let signature = format!("sha256={}", sign_hex(SECRET, body.as_bytes()));
    let (code, _) = send(
        &router,
        post(
            "/chat",
            Some(("x-switchyard-signature", signature.clone())),
            &tampered,
        ),
    )
    .await;
    assert_eq!(
        code,
        StatusCode::UNAUTHORIZED,
        "an altered body must be refused"
    );
    assert!(sink.posts().is_empty(), "nothing unsigned is processed");

    let (code, answer) = send(
        &router,
        post(
            "/chat",
            Some(("x-switchyard-signature", signature.clone())),
            &body,
        ),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{answer}");
    let posts = sink.posts();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].channel, Channel::Chat);
    assert_eq!(posts[0].external_id, "chat:conv-8812-msg-1");
    assert_eq!(posts[0].thread_id.as_deref(), Some("chat:conv-8812"));
    assert_eq!(posts[0].visibility, Visibility::Private);
    assert_eq!(posts[1].channel, Channel::Sms);
    assert_eq!(posts[1].external_id, "chat:9931");
    assert_eq!(posts[1].author.handle, "+15550100");

    // A replayed delivery adds nothing.
    let (code, answer) = send(
        &router,
        post("/chat", Some(("x-switchyard-signature", signature)), &body),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert!(answer.contains("\"duplicates\":2"), "{answer}");
    assert_eq!(sink.posts().len(), 2);

    let chat = status.get("chat").unwrap();
    assert_eq!(chat.rejected_payloads, 3);
    assert_eq!(chat.items_ingested, 2);
}

#[tokio::test]
async fn oversized_bodies_get_413_and_malformed_ones_400_and_the_endpoint_keeps_working() {
    let (router, sink, status) = app();
    let huge = format!(
        "{{\"id\":1,\"text\":\"{}\",\"author\":{{\"handle\":\"a\"}}}}",
        "x".repeat(10_000)
    );
    let signature = format!("sha256={}", sign_hex(SECRET, huge.as_bytes()));
    let (code, _) = send(
        &router,
        post("/chat", Some(("x-switchyard-signature", signature)), &huge),
    )
    .await;
    assert_eq!(code, StatusCode::PAYLOAD_TOO_LARGE);

    // Chunked (no Content-Length) oversized body.
    let stream =
        futures_util::stream::iter((0..10).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 1000])));
    let request = Request::post("/chat")
        .header("x-switchyard-signature", "sha256=00")
        .body(Body::from_stream(stream))
        .unwrap();
    let (code, _) = send(&router, request).await;
    assert_eq!(code, StatusCode::PAYLOAD_TOO_LARGE);

    for hostile in [
        "not json at all".to_string(),
        "[".repeat(3000),
        r#"{"id":"1","text":"","author":{"handle":"a"}}"#.to_string(),
        r#"{"id":"1","text":"hi","author":{"handle":"a"},"channel":"myspace"}"#.to_string(),
        r#"{"id":{"nested":true},"text":"hi","author":{"handle":"a"}}"#.to_string(),
        r#"{"id":"1","text":"hi","author":{"handle":"a"},"unexpected":1}"#.to_string(),
        "42".to_string(),
    ] {
        let signature = format!("sha256={}", sign_hex(SECRET, hostile.as_bytes()));
        let (code, answer) = send(
            &router,
            post(
                "/chat",
                Some(("x-switchyard-signature", signature)),
                &hostile,
            ),
        )
        .await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{hostile:.40} -> {answer}");
        assert!(answer.contains("malformed payload"), "{answer}");
    }
    assert!(sink.posts().is_empty());
    assert_eq!(status.get("chat").unwrap().rejected_payloads, 9);

    let good = r#"{"id":"ok-1","text":"still working","author":{"handle":"amy"}}"#;
    let signature = sign_hex(SECRET, good.as_bytes()); // the sha256= prefix is optional here
    let (code, _) = send(
        &router,
        post("/chat", Some(("x-switchyard-signature", signature)), good),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(sink.posts().len(), 1);
    assert_eq!(sink.posts()[0].channel, Channel::Web);

    let (code, _) = send(&router, post("/nope", None, good)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn meta_handshake_and_signed_page_feed_and_messenger_payloads() {
    let (router, sink, _status) = app();
    let get = |query: &str| {
        Request::get(format!("/facebook?{query}"))
            .body(Body::empty())
            .unwrap()
    };
    let (code, body) = send(
        &router,
        get("hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444"),
    )
    .await;
    assert_eq!((code, body.as_str()), (StatusCode::OK, "1158201444"));
    let (code, _) = send(
        &router,
        get("hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444"),
    )
    .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, _) = send(
        &router,
        get("hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1"),
    )
    .await;
    assert_eq!(code, StatusCode::FORBIDDEN);

    let feed = fixture("webhook/meta_page_feed.json");
    let (code, _) = send(
        &router,
        post(
            "/facebook",
            Some(("x-hub-signature-256", sign_hex(SECRET, feed.as_bytes()))),
            &feed,
        ),
    )
    .await;
    assert_eq!(
        code,
        StatusCode::UNAUTHORIZED,
        "Meta signatures need the sha256= prefix"
    );
    let signature = format!("sha256={}", sign_hex(SECRET, feed.as_bytes()));
    let (code, answer) = send(
        &router,
        post("/facebook", Some(("x-hub-signature-256", signature)), &feed),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{answer}");
    let posts = sink.posts();
    assert_eq!(posts.len(), 2, "the reaction is not a post");
    let comment = &posts[0];
    assert_eq!(comment.channel, Channel::Facebook);
    assert_eq!(comment.external_id, "122114541146517_1095424285487530");
    assert_eq!(
        comment.thread_id.as_deref(),
        Some("104735452371924_122114541146517")
    );
    assert_eq!(
        comment.parent_id.as_deref(),
        Some("104735452371924_122114541146517")
    );
    assert_eq!(comment.author.handle, "6924185497632113");
    assert_eq!(comment.author.display_name.as_deref(), Some("Amy Rivera"));
    assert_eq!(comment.created_at.timestamp(), 1732186798);
    assert_eq!(posts[1].external_id, "104735452371924_122114541146999");
    assert!(posts[1].parent_id.is_none());

    let messenger = fixture("webhook/meta_messenger.json");
    let signature = format!("sha256={}", sign_hex(SECRET, messenger.as_bytes()));
    let (code, _) = send(
        &router,
        post(
            "/facebook",
            Some(("x-hub-signature-256", signature)),
            &messenger,
        ),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let posts = sink.posts();
    assert_eq!(
        posts.len(),
        3,
        "the echo of our own message and the delivery receipt are skipped"
    );
    let dm = &posts[2];
    assert_eq!(dm.visibility, Visibility::Private);
    assert_eq!(dm.author.handle, "25467354621937582");
    assert_eq!(dm.created_at.timestamp_millis(), 1732186899856);
    assert_eq!(dm.thread_id.as_deref(), Some("dm:25467354621937582"));
}

#[tokio::test]
async fn x_crc_challenge_and_signed_account_activity() {
    let (router, sink, _status) = app();
    let request = Request::get("/x?crc_token=challenge-abc")
        .body(Body::empty())
        .unwrap();
    let (code, body) = send(&router, request).await;
    assert_eq!(code, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        json["response_token"],
        format!("sha256={}", sign_base64(SECRET, b"challenge-abc"))
    );

    let tweets = fixture("webhook/x_tweet_create_events.json");
    let (code, _) = send(
        &router,
        post(
            "/x",
            Some((
                "x-twitter-webhooks-signature",
                format!("sha256={}", sign_hex(SECRET, tweets.as_bytes())),
            )),
            &tweets,
        ),
    )
    .await;
    assert_eq!(
        code,
        StatusCode::UNAUTHORIZED,
        "X signs with base64, not hex"
    );
    let signature = format!("sha256={}", sign_base64(SECRET, tweets.as_bytes()));
    let (code, answer) = send(
        &router,
        post(
            "/x",
            Some(("x-twitter-webhooks-signature", signature)),
            &tweets,
        ),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{answer}");
    let posts = sink.posts();
    assert_eq!(posts.len(), 2, "our own account's reply is not ingested");
    assert_eq!(posts[0].external_id, "1860224411225558016");
    assert_eq!(
        posts[0].text,
        "@AcmeSupport my order still says \"processing\" after 9 days, this is ridiculous"
    );
    assert_eq!(posts[0].author.handle, "furiouscamper");
    assert_eq!(posts[0].author.followers, Some(1180));
    assert_eq!(posts[0].engagement.likes, 5);
    assert_eq!(
        posts[0].created_at.to_rfc3339(),
        "2026-11-23T09:12:44+00:00"
    );
    assert!(
        posts[1].text.ends_with("the app crashes at checkout"),
        "extended_tweet.full_text wins"
    );
    assert_eq!(posts[1].parent_id.as_deref(), Some("1860226244911050752"));

    let dms = fixture("webhook/x_direct_message_events.json");
    let signature = format!("sha256={}", sign_base64(SECRET, dms.as_bytes()));
    let (code, _) = send(
        &router,
        post(
            "/x",
            Some(("x-twitter-webhooks-signature", signature)),
            &dms,
        ),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let posts = sink.posts();
    assert_eq!(posts.len(), 3, "the DM we sent is not ingested");
    assert_eq!(posts[2].external_id, "954491830116155396");
    assert_eq!(posts[2].author.handle, "furiouscamper");
    assert_eq!(posts[2].visibility, Visibility::Private);
    assert_eq!(posts[2].created_at.timestamp_millis(), 1516403560557);
}
