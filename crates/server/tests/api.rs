//! The core API end to end through the router (no socket): ingest, list, search, stats, queues,
//! volume, corrections, error shapes, the access matrix on every documented operation, and the
//! OpenAPI document matching the routes.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use switchyard_server::{Actor, AppState, Role, StaticTokens};
use tower::ServiceExt;

const ADMIN: &str = "admin-token";
const AGENT_SUPPORT: &str = "agent-support-token";
const ANALYST: &str = "analyst-token";

const RULES: &str = r#"
[[rules]]
name = "complaints to support"
[rules.when]
query = "late OR lost OR refund"
[rules.then]
queue = "support"
priority = "high"
tags = ["complaint"]

[[rules]]
name = "sales leads"
[rules.when]
query = "pricing OR quote"
[rules.then]
queue = "sales"
"#;

struct TestApp {
    router: Router,
    _dir: tempfile::TempDir,
}

fn actor(name: &str, role: Role, teams: &[&str]) -> Actor {
    Actor {
        user_id: 1,
        name: name.to_string(),
        role,
        teams: teams.iter().map(|t| t.to_string()).collect(),
    }
}

async fn test_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = switchyard_store::Store::open(dir.path().to_str().unwrap())
        .await
        .unwrap();
    let rules = switchyard_pipeline::route::RuleSet::from_toml_str(RULES, "test rules").unwrap();
    let analyzer = Arc::new(switchyard_analyze::Analyzer::new());
    let pipeline = Arc::new(switchyard_pipeline::Pipeline::new(
        analyzer,
        rules,
        store.clone(),
    ));
    let tokens = StaticTokens::new()
        .with(ADMIN, actor("ada", Role::Admin, &[]))
        .with(AGENT_SUPPORT, actor("sam", Role::Agent, &["support"]))
        .with(ANALYST, actor("ann", Role::Analyst, &[]));
    let crm = switchyard_crm::Crm::new(
        switchyard_crm::DbPool::from(store.db()),
        &switchyard_crm::CrmConfig::default(),
    )
    .unwrap();
    crm.start().await.unwrap();
    let mut state = AppState::new(Arc::new(tokens), store, pipeline);
    state.crm = Some(crm);
    TestApp {
        router: switchyard_server::app(state),
        _dir: dir,
    }
}

async fn call(
    app: &TestApp,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
        None => request.body(Body::empty()).unwrap(),
    };
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}

fn post(id: &str, text: &str, followers: u64) -> Value {
    json!({"channel": "x", "external_id": id, "author": {"handle": format!("user{id}"), "followers": followers},
           "text": text, "created_at": "2026-11-20T10:00:00Z"})
}

async fn seed(app: &TestApp) -> Value {
    let (status, body) = call(
        app,
        "POST",
        "/api/v1/posts",
        Some(ADMIN),
        Some(json!({"posts": [
            post("1", "My parcel is late again and nobody answers", 120),
            post("2", "Can I get a quote and pricing for 500 orders?", 40),
            post("3", "What a lovely sunny day", 10),
            post("4", "Still waiting for my refund, this is the worst service", 150_000),
        ]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn ingest_is_routed_and_idempotent() {
    let app = test_app().await;
    let body = seed(&app).await;
    assert_eq!(body["new"], 4);
    assert_eq!(body["duplicate"], 0);
    let again = seed(&app).await;
    assert_eq!(again["new"], 0);
    assert_eq!(again["duplicate"], 4);

    let (status, queues) = call(&app, "GET", "/api/v1/queues", Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::OK);
    let count = |name: &str| {
        queues["queues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["queue"] == name)
            .map(|q| q["count"].as_u64().unwrap())
            .unwrap_or(0)
    };
    assert_eq!(count("support"), 2, "{queues}");
    assert_eq!(count("sales"), 1, "{queues}");
    assert_eq!(count("unrouted"), 1, "{queues}");

    let (_, stats) = call(&app, "GET", "/api/v1/stats", Some(ANALYST), None).await;
    assert_eq!(stats["posts"], 4);
}

#[tokio::test]
async fn bad_posts_are_rejected_by_index_and_the_rest_stored() {
    let app = test_app().await;
    let (status, body) = call(&app, "POST", "/api/v1/posts", Some(ADMIN), Some(json!({"posts": [
        post("10", "fine", 1),
        {"channel": "myspace", "external_id": "x", "author": {"handle": "a"}, "text": "t", "created_at": "2026-01-01T00:00:00Z"},
        {"channel": "x", "external_id": "11"},
    ]}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["new"], 1);
    let rejected = body["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0]["index"], 1);
    assert!(
        rejected[0]["reason"].as_str().unwrap().contains("myspace"),
        "{body}"
    );
    assert_eq!(rejected[1]["index"], 2);
}

#[tokio::test]
async fn invalid_json_and_queries_get_the_error_shape() {
    let app = test_app().await;
    let request = Request::builder()
        .method("POST")
        .uri("/api/v1/posts")
        .header("authorization", format!("Bearer {ADMIN}"))
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["error"]["code"], "bad_request");

    let (status, body) = call(
        &app,
        "GET",
        "/api/v1/search?q=late%20AND",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_query");
    assert!(
        body["error"]["message"].as_str().unwrap().contains('^'),
        "{body}"
    );

    let (status, body) = call(
        &app,
        "GET",
        "/api/v1/posts?since=yesterday",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("RFC 3339")
    );
}

#[tokio::test]
async fn search_and_filters_find_the_right_posts() {
    let app = test_app().await;
    seed(&app).await;
    let (status, body) = call(
        &app,
        "GET",
        "/api/v1/search?q=refund%20OR%20late",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 2, "{body}");
    let (_, body) = call(
        &app,
        "GET",
        "/api/v1/posts?q=followers:%3E100000",
        Some(ADMIN),
        None,
    )
    .await;
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    assert_eq!(items[0]["external_id"], "4");
    assert!(items[0]["analysis"]["sentiment"]["vader"]["compound"].is_number());
    assert_eq!(items[0]["route"]["queue"], "support");
    let (_, body) = call(&app, "GET", "/api/v1/posts?queue=sales", Some(ADMIN), None).await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn agents_only_see_their_teams_queues_and_analysts_never_write() {
    let app = test_app().await;
    seed(&app).await;
    let (status, body) = call(
        &app,
        "GET",
        "/api/v1/posts?queue=sales",
        Some(AGENT_SUPPORT),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    let (_, body) = call(&app, "GET", "/api/v1/posts", Some(AGENT_SUPPORT), None).await;
    assert!(
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["route"]["queue"] == "support"),
        "{body}"
    );

    let (status, _) = call(
        &app,
        "POST",
        "/api/v1/posts",
        Some(ANALYST),
        Some(json!({"posts": [post("9", "hi", 1)]})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn corrections_show_on_the_post() {
    let app = test_app().await;
    seed(&app).await;
    let (_, page) = call(
        &app,
        "GET",
        "/api/v1/posts?queue=unrouted",
        Some(ADMIN),
        None,
    )
    .await;
    let id = page["items"][0]["id"].as_i64().unwrap();
    let (status, body) = call(
        &app,
        "POST",
        &format!("/api/v1/posts/{id}/corrections"),
        Some(ADMIN),
        Some(json!({"task": "sentiment", "label": "neutral"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["analysis"]["sentiment"]["label"], "neutral");
    assert_eq!(body["corrections"][0]["user"], "ada");
    let (status, body) = call(
        &app,
        "POST",
        &format!("/api/v1/posts/{id}/corrections"),
        Some(ADMIN),
        Some(json!({"task": "mood", "label": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sentiment")
    );
}

#[tokio::test]
async fn volume_buckets_by_hour() {
    let app = test_app().await;
    seed(&app).await;
    let (status, body) = call(&app, "GET",
        "/api/v1/analytics/volume?bucket=hour&since=2026-11-20T00:00:00Z&until=2026-11-21T00:00:00Z", Some(ANALYST), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let points = body["points"].as_array().unwrap();
    let total: u64 = points.iter().map(|p| p["total"].as_u64().unwrap()).sum();
    assert_eq!(total, 4);
}

/// Every documented operation refuses anonymous callers (unless public) and never 404s or 405s.
#[tokio::test]
async fn access_matrix_over_every_documented_operation() {
    let app = test_app().await;
    seed(&app).await;
    let doc = switchyard_server::api::document();
    assert!(doc.operations().len() >= 10);
    for op in doc.operations() {
        // Every path parameter becomes 1 (a resource that may not exist: 404 is fine there).
        let uri: String = op
            .path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "1"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let method = op.method.to_uppercase();
        let body = (method == "POST").then(|| json!({}));
        let (status, _) = call(&app, &method, &uri, None, body.clone()).await;
        if op.access == switchyard_server::openapi::Access::Public {
            assert_ne!(status, StatusCode::UNAUTHORIZED, "{method} {uri} is public");
        } else {
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {uri} without credentials"
            );
        }
        if uri == "/api/v1/live" {
            continue; // a stream: the status line is all we check
        }
        let (status, _) = call(&app, &method, &uri, Some(ADMIN), body.clone()).await;
        assert!(
            status != StatusCode::NOT_FOUND || uri.contains("/1"),
            "{method} {uri} is documented but not routed"
        );
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        if matches!(
            op.access,
            switchyard_server::openapi::Access::Write
                | switchyard_server::openapi::Access::Lead
                | switchyard_server::openapi::Access::Admin
        ) {
            // Never allowed: 403, or 400/404 where the CRM rejects the (empty) body or the
            // missing resource before it looks at the role. Either way nothing is written.
            let (status, _) = call(&app, &method, &uri, Some(ANALYST), body).await;
            assert!(
                [
                    StatusCode::FORBIDDEN,
                    StatusCode::BAD_REQUEST,
                    StatusCode::NOT_FOUND
                ]
                .contains(&status),
                "analyst must not {method} {uri}: got {status}"
            );
        }
    }
    let (status, openapi) = call(&app, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(openapi["openapi"], "3.1.0");
    assert!(openapi["paths"]["/api/v1/posts"]["post"].is_object());
}

#[tokio::test]
async fn health_is_public_and_metrics_need_a_caller() {
    let app = test_app().await;
    let (status, body) = call(&app, "GET", "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    let request = Request::builder()
        .uri("/metrics")
        .header("authorization", format!("Bearer {ANALYST}"))
        .body(Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
