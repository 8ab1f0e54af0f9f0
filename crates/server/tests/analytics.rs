//! Analytics endpoints end to end on SQLite through the router: top values, authors by reach,
//! participation inequality, share of voice, emerging topics, SLA figures, surveys against social
//! sentiment, drill-down posts and CSV export, and queue visibility for agents.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use switchyard_server::{Actor, AppState, Role, StaticTokens};
use tower::ServiceExt;

const ADMIN: &str = "admin-token";
const AGENT_SUPPORT: &str = "agent-support-token";

const RULES: &str = r#"
[[rules]]
name = "complaints to support"
[rules.when]
query = "late OR lost OR refund"
[rules.then]
queue = "support"
priority = "high"
"#;

struct TestApp {
    router: Router,
    store: switchyard_store::Store,
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
        .with(AGENT_SUPPORT, actor("sam", Role::Agent, &["support"]));
    let state = AppState::new(Arc::new(tokens), store.clone(), pipeline);
    TestApp {
        router: switchyard_server::app(state),
        store,
        _dir: dir,
    }
}

async fn call_raw(
    app: &TestApp,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, String) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"));
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
    (status, String::from_utf8_lossy(&bytes).to_string())
}

async fn get(app: &TestApp, uri: &str, token: &str) -> (StatusCode, Value) {
    let (status, text) = call_raw(app, "GET", uri, token, None).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn post(
    id: usize,
    channel: &str,
    author: &str,
    followers: u64,
    text: &str,
    hour: u32,
    views: Option<u64>,
) -> Value {
    let mut value = json!({"channel": channel, "external_id": id.to_string(),
        "author": {"handle": author, "followers": followers},
        "text": text, "created_at": format!("2026-11-20T{hour:02}:00:00Z"),
        "engagement": {"likes": 2, "shares": 1, "replies": 1}});
    if let Some(views) = views {
        value["engagement"]["views"] = json!(views);
    }
    value
}

/// 30 posts: `chatty` writes 21 of them; two complaint posts come from a 150k-follower account.
async fn seed(app: &TestApp) {
    let mut posts = Vec::new();
    for i in 0..21 {
        posts.push(post(
            i,
            "x",
            "chatty",
            10,
            "acme is fine I guess, nothing to report",
            8,
            Some(1000),
        ));
    }
    posts.push(post(
        100,
        "x",
        "bigvoice",
        150_000,
        "My acme parcel is late again, worst service ever",
        9,
        Some(50_000),
    ));
    posts.push(post(
        101,
        "x",
        "bigvoice",
        150_000,
        "Still no refund from acme, furious",
        10,
        None,
    ));
    posts.push(post(
        102,
        "mastodon",
        "tooter",
        300,
        "Globex shipped my order early, lovely",
        10,
        None,
    ));
    posts.push(post(
        103,
        "mastodon",
        "tooter2",
        200,
        "globex support was great today",
        11,
        None,
    ));
    for i in 0..5 {
        posts.push(post(
            200 + i,
            "reddit",
            &format!("r{i}"),
            50,
            "the tracking page rejects my number, lost parcel",
            12,
            None,
        ));
    }
    let (status, body) = call_raw(
        app,
        "POST",
        "/api/v1/posts",
        ADMIN,
        Some(json!({"posts": posts})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

const WINDOW: &str = "since=2026-11-20T00:00:00Z&until=2026-11-21T00:00:00Z";

#[tokio::test]
async fn top_values_count_and_drill_down_to_their_posts() {
    let app = test_app().await;
    seed(&app).await;
    let (status, top) = get(
        &app,
        &format!("/api/v1/analytics/top?field=channel&{WINDOW}"),
        ADMIN,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{top}");
    assert_eq!(top["total"], 30);
    assert_eq!(top["items"][0]["value"], "x");
    assert_eq!(top["items"][0]["count"], 23);
    let reddit = top["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["value"] == "reddit")
        .unwrap();
    assert_eq!(reddit["count"], 5);

    let (status, drill) = get(
        &app,
        &format!("/api/v1/analytics/posts?field=channel&value=reddit&{WINDOW}"),
        ADMIN,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{drill}");
    let items = drill["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert!(
        items
            .iter()
            .all(|p| p["channel"] == "reddit" && p["analysis"]["sentiment"]["label"].is_string())
    );

    let (status, csv) = call_raw(
        &app,
        "GET",
        &format!("/api/v1/analytics/export.csv?field=channel&value=reddit&{WINDOW}"),
        ADMIN,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,created_at,channel,"), "{csv}");
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(lines[1].contains(",reddit,"));

    let (status, bad) = get(&app, "/api/v1/analytics/top?field=password", ADMIN).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["error"]["code"], "bad_request");
}

#[tokio::test]
async fn drill_down_by_listening_query_and_agents_see_only_their_queues() {
    let app = test_app().await;
    seed(&app).await;
    let (status, drill) = get(
        &app,
        &format!("/api/v1/analytics/posts?q=globex&{WINDOW}"),
        ADMIN,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{drill}");
    assert_eq!(drill["items"].as_array().unwrap().len(), 2);

    // the support agent sees the routed complaints only (late/lost/refund)
    let (status, top) = get(
        &app,
        &format!("/api/v1/analytics/top?field=channel&{WINDOW}"),
        AGENT_SUPPORT,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(top["total"], 7, "{top}");
}

#[tokio::test]
async fn authors_rank_by_reach_and_participation_is_unequal() {
    let app = test_app().await;
    seed(&app).await;
    let (status, authors) = get(
        &app,
        &format!("/api/v1/analytics/authors?limit=3&{WINDOW}"),
        ADMIN,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{authors}");
    assert_eq!(authors["items"][0]["handle"], "bigvoice");
    assert_eq!(authors["items"][0]["followers"], 150_000);
    assert_eq!(authors["items"][0]["posts"], 2);

    let (status, part) = get(
        &app,
        &format!("/api/v1/analytics/participation?{WINDOW}"),
        ADMIN,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{part}");
    assert_eq!(part["authors"], 9);
    assert_eq!(part["posts"], 30);
    // the top 1% of 9 authors is one author: chatty, with 21 of 30 posts
    assert!(
        (part["top1_share"].as_f64().unwrap() - 0.7).abs() < 1e-9,
        "{part}"
    );
    assert!(part["gini"].as_f64().unwrap() > 0.5);
    assert_eq!(part["most_active"][0]["handle"], "chatty");
    // views: 21 × 1000 + 50,000 = 71,000 views with 22 × 4 interactions
    assert_eq!(part["views"]["views"], 71_000);
    assert_eq!(part["views"]["engagements"], 88);
    assert!(part["views"]["read_only_share"].as_f64().unwrap() > 0.99);
}

#[tokio::test]
async fn share_of_voice_compares_queries_and_reports_bad_ones() {
    let app = test_app().await;
    seed(&app).await;
    let (status, sov) = get(
        &app,
        &format!("/api/v1/analytics/share-of-voice?queries=acme,globex&{WINDOW}"),
        ADMIN,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sov}");
    assert_eq!(sov["items"][0]["posts"], 23, "{sov}");
    assert_eq!(sov["items"][1]["posts"], 2, "{sov}");
    assert!((sov["items"][0]["share"].as_f64().unwrap() - 23.0 / 25.0).abs() < 1e-9);
    assert_eq!(sov["scanned"], 30);

    let (status, bad) = get(
        &app,
        &format!("/api/v1/analytics/share-of-voice?queries=acme%20AND&{WINDOW}"),
        ADMIN,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["error"]["code"], "invalid_query");
}

#[tokio::test]
async fn emerging_topics_find_the_new_complaint() {
    let app = test_app().await;
    seed(&app).await;
    let (status, topics) = get(
        &app,
        "/api/v1/analytics/topics?since=2026-11-20T11:30:00Z&until=2026-11-21T00:00:00Z",
        ADMIN,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{topics}");
    let terms: Vec<&str> = topics["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["term"].as_str().unwrap())
        .collect();
    assert!(terms.contains(&"tracking"), "{topics}");
}

#[tokio::test]
async fn sla_and_surveys_read_the_crm_tables() {
    let app = test_app().await;
    seed(&app).await;
    let switchyard_store::Db::Sqlite(pool) = app.store.db() else {
        panic!("tests run on SQLite");
    };
    let at = 1_763_632_800_000i64; // 2025-11-20T10:00:00Z in ms
    sqlx::query("INSERT INTO crm_users (id, username, display_name, role, created_at) VALUES (7, 'sam', 'Sam Agent', 'agent', $1)")
        .bind(at).execute(pool).await.unwrap();
    for (id, team) in [(1, "support"), (2, "support"), (3, "pr")] {
        sqlx::query("INSERT INTO crm_cases (id, title, status, team, assignee_id, priority, customer_id, opened_at, updated_at, last_activity_at) VALUES ($1, 't', 'open', $2, 7, 'high', $1, $3, $3, $3)")
            .bind(id).bind(team).bind(at).execute(pool).await.unwrap();
        sqlx::query("INSERT INTO crm_customers (id, display_name, created_at, updated_at) VALUES ($1, $2, $3, $3)")
            .bind(id).bind(format!("Customer {id}")).bind(at).execute(pool).await.unwrap();
    }
    for (case, ms, met) in [(1, 60_000, 1), (2, 3_600_000, 0), (3, 120_000, 1)] {
        sqlx::query("INSERT INTO crm_sla_responses (case_id, kind, waiting_since, responded_at, business_ms, target_ms, met) VALUES ($1, 'first_response', $2, $3, $4, 1800000, $5)")
            .bind(case).bind(at).bind(at + ms).bind(ms).bind(met).execute(pool).await.unwrap();
    }
    let (status, sla) = get(&app, "/api/v1/analytics/sla", ADMIN).await;
    assert_eq!(status, StatusCode::OK, "{sla}");
    let support = sla["by_team"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == "support")
        .unwrap();
    assert_eq!(support["responses"], 2);
    assert_eq!(support["compliance"], 0.5);
    assert_eq!(sla["by_agent"][0]["agent"], "Sam Agent");
    assert_eq!(sla["overall"][0]["responses"], 3);
    let (_, sla_agent) = get(&app, "/api/v1/analytics/sla", AGENT_SUPPORT).await;
    assert_eq!(sla_agent["overall"][0]["responses"], 2, "{sla_agent}");

    // customer 1 is happy in the survey and angry in public; 2 and 3 agree
    for (customer, kind, score, compound) in [
        (1, "csat", 5, -0.8),
        (2, "csat", 1, -0.6),
        (3, "nps", 10, 0.7),
    ] {
        sqlx::query("INSERT INTO crm_surveys (kind, score, case_id, customer_id, source, responded_at, created_at) VALUES ($1, $2, $3, $3, 'api', $4, $4)")
            .bind(kind).bind(score).bind(customer).bind(at).execute(pool).await.unwrap();
        sqlx::query("INSERT INTO crm_customer_posts (post_id, customer_id, identity_id, channel, external_id, visibility, sentiment, created_at) VALUES ($1, $1, 1, 'x', $2, 'public', $3, $4)")
            .bind(customer).bind(format!("e{customer}")).bind(compound).bind(at).execute(pool).await.unwrap();
    }
    let (status, surveys) = get(&app, "/api/v1/analytics/surveys", ADMIN).await;
    assert_eq!(status, StatusCode::OK, "{surveys}");
    assert_eq!(surveys["csat"]["responses"], 2);
    assert_eq!(surveys["csat"]["mean"], 3.0);
    assert_eq!(surveys["nps"]["score"], 100.0);
    assert_eq!(surveys["matched_customers"], 3);
    assert_eq!(surveys["disagreements"][0]["customer_id"], 1);
    let negative = &surveys["by_social_sentiment"][0];
    assert_eq!(negative["social"], "negative");
    assert_eq!(negative["csat"]["responses"], 2);
}

#[tokio::test]
async fn queue_summary_counts_active_cases_and_breaches_and_posts_find_their_case() {
    let app = test_app().await;
    seed(&app).await;
    let switchyard_store::Db::Sqlite(pool) = app.store.db() else {
        panic!("tests run on SQLite");
    };
    let at = 1_763_632_800_000i64;
    // case 1: waiting and breached; case 2: waiting, about to breach; case 3: resolved
    for (id, status, awaiting) in [
        (1, "open", Some(at)),
        (2, "new", Some(at)),
        (3, "resolved", None),
    ] {
        sqlx::query("INSERT INTO crm_cases (id, title, status, team, priority, opened_at, updated_at, last_activity_at, awaiting_since) VALUES ($1, 't', $2, 'support', 'high', $3, $3, $3, $4)")
            .bind(id).bind(status).bind(at).bind(awaiting).execute(pool).await.unwrap();
    }
    for (case, kind) in [
        (1, "about_to_breach"),
        (1, "breached"),
        (2, "about_to_breach"),
    ] {
        sqlx::query("INSERT INTO crm_sla_notices (case_id, metric, kind, due_at, emitted_at) VALUES ($1, 'first_response', $2, $3, $3)")
            .bind(case).bind(kind).bind(at + 1_800_000).execute(pool).await.unwrap();
    }
    let post_id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM posts")
        .fetch_one(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO crm_case_posts (post_id, case_id, channel, external_id, author_handle, visibility, linked_at) VALUES ($1, 1, 'x', '0', 'chatty', 'public', $2)")
        .bind(post_id).bind(at).execute(pool).await.unwrap();

    let (status, summary) = get(&app, "/api/v1/analytics/queues", ADMIN).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let support = &summary["queues"][0];
    assert_eq!(support["queue"], "support");
    assert_eq!(support["open"], 2);
    assert_eq!(support["unassigned"], 2);
    assert_eq!(support["breached"], 1);
    assert_eq!(support["at_risk"], 1);

    let (status, found) = get(&app, &format!("/api/v1/posts/{post_id}/case"), ADMIN).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["case_id"], 1);
    let (_, none) = get(&app, &format!("/api/v1/posts/{}/case", post_id + 1), ADMIN).await;
    assert_eq!(none["case_id"], Value::Null);
}
