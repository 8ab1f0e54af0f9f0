//! The issue #4 scenario through the HTTP API, and the access matrix on every CRM endpoint.

use super::{CrmHttp, router};
use axum::Router;
use axum::body::Body as HttpBody;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use switchyard_crm::cases::LinkOutcome;
use switchyard_crm::db::{DbPool, migrate_from_source_tree};
use switchyard_crm::replies::{DeliveryOutcome, OutgoingReply, ReplySender, SendFuture};
use switchyard_crm::{Crm, CrmConfig};
use switchyard_domain::{Channel, NewPost, Post, Priority, RouteDecision, Visibility};
use tower::ServiceExt;

/// A channel that delivers each idempotency key once and remembers what it sent.
#[derive(Default)]
struct TestSender {
    sent: Mutex<HashMap<String, String>>,
}

impl ReplySender for TestSender {
    fn send<'a>(&'a self, reply: &'a OutgoingReply) -> SendFuture<'a> {
        Box::pin(async move {
            let mut sent = self.sent.lock().unwrap();
            let next = sent.len() + 1;
            let id = sent
                .entry(reply.idempotency_key.clone())
                .or_insert_with(|| format!("{}-sent-{next}", reply.channel))
                .clone();
            DeliveryOutcome::Delivered { external_id: id }
        })
    }
}

struct Fixture {
    app: Router,
    crm: Crm,
    clock: Arc<Mutex<DateTime<Utc>>>,
    /// The SQLite file, or the PostgreSQL (url, schema) to drop afterwards.
    path: Option<std::path::PathBuf>,
    pg_schema: Option<(String, String)>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        if let Some((url, schema)) = self.pg_schema.take() {
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    if let Ok(pool) = DbPool::connect(&url).await {
                        let _ = pool
                            .execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"), &[])
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

async fn fixture(name: &str) -> Fixture {
    let path = std::env::temp_dir().join(format!(
        "switchyard-crm-http-{name}-{}.db",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let pool = DbPool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    fixture_on(pool, Some(path), None).await
}

/// The same on PostgreSQL in a schema of its own, when `SWITCHYARD_TEST_POSTGRES_URL` is set.
async fn postgres_fixture(name: &str) -> Option<Fixture> {
    let Some(url) = std::env::var("SWITCHYARD_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("SKIPPED (no postgres): {name}");
        return None;
    };
    let schema = format!("crm_http_{name}_{}", std::process::id());
    let admin = DbPool::connect(&url).await.unwrap();
    admin
        .execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"), &[])
        .await
        .unwrap();
    admin
        .execute(&format!("CREATE SCHEMA {schema}"), &[])
        .await
        .unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    let pool = DbPool::connect(&scoped).await.unwrap();
    Some(fixture_on(pool, None, Some((url, schema))).await)
}

async fn fixture_on(
    pool: DbPool,
    path: Option<std::path::PathBuf>,
    pg_schema: Option<(String, String)>,
) -> Fixture {
    migrate_from_source_tree(&pool).await.unwrap();
    let mut config = CrmConfig::default();
    config.admin.password = Some("first admin password".into());
    config.admin.password_env = None;
    let clock = Arc::new(Mutex::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ));
    let clock_for_crm = clock.clone();
    let crm = Crm::new(pool, &config)
        .unwrap()
        .with_clock(Arc::new(move || *clock_for_crm.lock().unwrap()));
    crm.start().await.unwrap();
    let app = router::<()>(CrmHttp {
        crm: crm.clone(),
        auth: None,
    });
    Fixture {
        app,
        crm,
        clock,
        path,
        pg_schema,
    }
}

impl Fixture {
    fn advance(&self, by: Duration) {
        *self.clock.lock().unwrap() += by;
    }

    fn now(&self) -> DateTime<Utc> {
        *self.clock.lock().unwrap()
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("/api/v1{path}"));
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(HttpBody::from(body.to_string()))
                .unwrap(),
            None => request.body(HttpBody::empty()).unwrap(),
        };
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    /// Signs in through the API and returns the cookie to send back.
    async fn sign_in(&self, username: &str, password: &str) -> String {
        let request = Request::builder()
            .method("POST")
            .uri("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(HttpBody::from(
                json!({"username": username, "password": password}).to_string(),
            ))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "sign-in of {username}");
        let cookie = response.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_string();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        cookie.split(';').next().unwrap().to_string()
    }

    async fn user(
        &self,
        admin: &str,
        name: &str,
        role: &str,
        teams: &[&str],
        max: Option<i64>,
    ) -> (i64, String) {
        let password = format!("{name}-password-1");
        let (status, user) = self
            .call("POST", "/users", Some(admin), Some(json!({"username": name, "role": role, "password": password, "teams": teams, "max_open_cases": max})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        (
            user["id"].as_i64().unwrap(),
            self.sign_in(name, &password).await,
        )
    }
}

fn hook_post(
    id: i64,
    external_id: &str,
    handle: &str,
    followers: u64,
    text: &str,
    at: DateTime<Utc>,
    visibility: Visibility,
) -> Post {
    let mut post = NewPost::new(Channel::X, external_id, handle, text, at);
    post.author.followers = Some(followers);
    post.visibility = visibility;
    Post {
        id,
        post,
        ingested_at: at,
    }
}

fn decision(queue: &str, priority: Priority, sla: Option<&str>) -> RouteDecision {
    RouteDecision {
        queue: queue.into(),
        priority,
        sla_policy: sla.map(str::to_string),
        matched_rules: vec!["vip-complaint".into()],
        ..RouteDecision::default()
    }
}

struct World {
    admin: String,
    lead: String,
    agent: String,
    outsider: String,
    analyst: String,
    lead_id: i64,
    case_id: i64,
    reply_id: i64,
    customer_id: i64,
}

/// The scenario of issue #4, step by step through the API; returns the people and ids it made.
async fn scenario(f: &Fixture) -> World {
    let (status, _) = f.call("GET", "/me", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = f
        .call(
            "POST",
            "/auth/login",
            None,
            Some(json!({"username": "admin", "password": "nope"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let admin = f.sign_in("admin", "first admin password").await;
    let (lead_id, lead) = f.user(&admin, "lena", "lead", &["pr"], None).await;
    let (agent_id, agent) = f.user(&admin, "paul", "agent", &["pr"], Some(3)).await;
    let (_, outsider) = f.user(&admin, "sam", "agent", &["support"], None).await;
    let (_, analyst) = f.user(&admin, "ana", "analyst", &[], None).await;
    let (status, me) = f.call("GET", "/me", Some(&agent), None).await;
    assert_eq!(
        (status, me["username"].as_str()),
        (StatusCode::OK, Some("paul"))
    );

    // 1. An angry post from a 100k-follower author is routed to PR, high priority, pr-vip SLA.
    let opened = f.now();
    let angry = hook_post(
        101,
        "1900000000001",
        "frequentflyer",
        100_000,
        "Three hours on the tarmac and not a word from @airline. Disgraceful.",
        opened,
        Visibility::Public,
    );
    let link = f
        .crm
        .open_or_join_case(
            &angry,
            &decision("pr", Priority::High, Some("pr-vip")),
            None,
        )
        .await
        .unwrap();
    assert_eq!(link.outcome, LinkOutcome::Opened);
    let case_id = link.case_id.unwrap();

    // 2. It is assigned to an agent with capacity.
    let (status, cases) = f.call("GET", "/cases?team=pr", Some(&agent), None).await;
    assert_eq!(status, StatusCode::OK);
    let case = &cases["items"][0];
    assert_eq!(case["id"].as_i64(), Some(case_id));
    assert_eq!(
        (
            case["team"].as_str(),
            case["priority"].as_str(),
            case["sla_policy"].as_str()
        ),
        (Some("pr"), Some("high"), Some("pr-vip"))
    );
    assert_eq!(case["assignee_id"].as_i64(), Some(agent_id));
    let (_, sla) = f
        .call("GET", &format!("/cases/{case_id}/sla"), Some(&agent), None)
        .await;
    assert_eq!(sla["first_response_target_minutes"].as_i64(), Some(30));

    // 3. The agent's public reply needs approval and waits.
    f.advance(Duration::minutes(4));
    let (status, reply) = f
        .call(
            "POST",
            &format!("/cases/{case_id}/replies"),
            Some(&agent),
            Some(json!({"body": "We are so sorry. We are looking into this right now."})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["status"].as_str(), Some("awaiting_approval"));
    let reply_id = reply["id"].as_i64().unwrap();
    let sender = TestSender::default();
    assert!(
        f.crm
            .deliver_due(&sender, 10)
            .await
            .unwrap()
            .delivered
            .is_empty(),
        "it waits"
    );
    let (_, pending) = f
        .call("GET", "/approvals?status=pending", Some(&lead), None)
        .await;
    assert_eq!(pending["items"][0]["id"].as_i64(), Some(reply_id));
    let (status, _) = f
        .call(
            "POST",
            &format!("/replies/{reply_id}/approve"),
            Some(&agent),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents do not approve");

    // 4. A lead approves.
    f.advance(Duration::minutes(3));
    let (status, approved) = f
        .call(
            "POST",
            &format!("/replies/{reply_id}/approve"),
            Some(&lead),
            Some(json!({"comment": "good tone"})),
        )
        .await;
    assert_eq!(
        (status, approved["status"].as_str()),
        (StatusCode::OK, Some("approved"))
    );

    // 5. The outbox delivers it.
    f.advance(Duration::minutes(1));
    assert_eq!(
        f.crm.deliver_due(&sender, 10).await.unwrap().delivered,
        vec![reply_id]
    );
    let (_, delivered) = f
        .call("GET", &format!("/replies/{reply_id}"), Some(&agent), None)
        .await;
    assert_eq!(delivered["status"].as_str(), Some("delivered"));

    // 6. The agent hands off to a direct message.
    let (status, handoff) = f
        .call("POST", &format!("/cases/{case_id}/handoff"), Some(&agent), Some(json!({"body": "Could you DM us your booking reference?", "handoff": "direct_message"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{handoff}");
    let handoff_id = handoff["id"].as_i64().unwrap();
    assert_eq!(handoff["status"].as_str(), Some("awaiting_approval"));
    f.call(
        "POST",
        &format!("/replies/{handoff_id}/approve"),
        Some(&lead),
        None,
    )
    .await;
    f.crm.deliver_due(&sender, 10).await.unwrap();

    // 7. The DM arrives and joins the same case.
    f.advance(Duration::minutes(6));
    let dm = hook_post(
        102,
        "dm-77",
        "frequentflyer",
        100_000,
        "Booking QX7Y2, seat 14C",
        f.now(),
        Visibility::Private,
    );
    let joined = f
        .crm
        .open_or_join_case(&dm, &decision("support", Priority::Normal, None), None)
        .await
        .unwrap();
    assert_eq!(
        (joined.case_id, joined.outcome),
        (Some(case_id), LinkOutcome::JoinedHandoff)
    );
    let (status, private_reply) = f
        .call(
            "POST",
            &format!("/cases/{case_id}/replies"),
            Some(&lead),
            Some(json!({"body": "Thanks — rebooked you on the 18:05.", "private": true})),
        )
        .await;
    assert_eq!(
        (status, private_reply["visibility"].as_str()),
        (StatusCode::CREATED, Some("private"))
    );
    f.crm.deliver_due(&sender, 10).await.unwrap();

    // 8. Resolved; the SLA figures and the audit trail show each step.
    f.advance(Duration::minutes(15));
    let (status, resolved) = f
        .call(
            "POST",
            &format!("/cases/{case_id}/status"),
            Some(&agent),
            Some(json!({"status": "resolved", "comment": "rebooked"})),
        )
        .await;
    assert_eq!(
        (status, resolved["status"].as_str()),
        (StatusCode::OK, Some("resolved"))
    );
    let (_, detail) = f
        .call("GET", &format!("/cases/{case_id}"), Some(&agent), None)
        .await;
    let sla = &detail["sla"];
    assert_eq!(sla["first_response_met"].as_bool(), Some(true), "{sla}");
    assert_eq!(
        sla["measured"][0]["business_seconds"].as_i64(),
        Some(8 * 60)
    );
    assert_eq!(sla["resolution_met"].as_bool(), Some(true));
    assert_eq!(detail["posts"].as_array().unwrap().len(), 2);
    assert!(
        detail["posts"][0]["taken_private_at"].is_string(),
        "the public thread shows it went private"
    );
    assert!(detail["handoffs"][0]["completed_at"].is_string());
    assert!(
        detail["replies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "delivered")
    );
    let kinds: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for expected in [
        "opened",
        "assigned",
        "reply_awaiting_approval",
        "reply_approved",
        "reply_delivered",
        "handoff_offered",
        "handoff_completed",
        "post_linked",
        "status_changed",
        "sla_measured",
    ] {
        assert!(
            kinds.contains(&expected),
            "{expected} missing from the timeline {kinds:?}"
        );
    }
    let (_, audit) = f
        .call(
            "GET",
            &format!("/audit?case_id={case_id}"),
            Some(&lead),
            None,
        )
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for expected in [
        "case.opened",
        "case.assigned",
        "reply.created",
        "reply.approved",
        "reply.delivered",
        "case.handoff_completed",
        "case.status_changed",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from the audit trail {actions:?}"
        );
    }
    assert_eq!(sender.sent.lock().unwrap().len(), 3);
    World {
        admin,
        lead,
        agent,
        outsider,
        analyst,
        lead_id,
        case_id,
        reply_id,
        customer_id: link.customer_id.unwrap(),
    }
}

#[tokio::test]
async fn issue_4_scenario_through_the_api() {
    let f = fixture("scenario").await;
    scenario(&f).await;
}

#[tokio::test]
async fn issue_4_scenario_through_the_api_on_postgres() {
    if let Some(f) = postgres_fixture("scenario").await {
        scenario(&f).await;
    }
}

#[tokio::test]
async fn access_matrix_on_every_endpoint() {
    let f = fixture("matrix").await;
    let w = scenario(&f).await;
    let (c, r, cu, lead) = (w.case_id, w.reply_id, w.customer_id, w.lead_id);
    // (method, path, body, analyst forbidden, agent of another team forbidden)
    let endpoints: Vec<(&str, String, Option<Value>, bool, bool)> = vec![
        ("GET", "/me".into(), None, false, false),
        (
            "POST",
            "/me/tokens".into(),
            Some(json!({"name": "cli"})),
            false,
            false,
        ),
        ("GET", "/users".into(), None, true, true),
        (
            "POST",
            "/users".into(),
            Some(json!({"username": "eve", "role": "admin", "password": "long enough pw"})),
            true,
            true,
        ),
        ("GET", format!("/users/{lead}"), None, true, true),
        (
            "PATCH",
            format!("/users/{lead}"),
            Some(json!({"role": "agent"})),
            true,
            true,
        ),
        ("GET", "/teams".into(), None, false, false),
        (
            "POST",
            "/teams".into(),
            Some(json!({"name": "legal"})),
            true,
            true,
        ),
        ("GET", "/teams/pr/workload".into(), None, false, true),
        ("GET", "/cases".into(), None, false, false),
        (
            "POST",
            "/cases".into(),
            Some(json!({"title": "call", "team": "pr"})),
            true,
            true,
        ),
        ("GET", format!("/cases/{c}"), None, false, true),
        (
            "PATCH",
            format!("/cases/{c}"),
            Some(json!({"priority": "low"})),
            true,
            true,
        ),
        ("POST", format!("/cases/{c}/take"), None, true, true),
        (
            "POST",
            format!("/cases/{c}/assign"),
            Some(json!({"user_id": null})),
            true,
            true,
        ),
        (
            "POST",
            format!("/cases/{c}/status"),
            Some(json!({"status": "open"})),
            true,
            true,
        ),
        (
            "POST",
            format!("/cases/{c}/notes"),
            Some(json!({"body": "psst"})),
            true,
            true,
        ),
        ("GET", format!("/cases/{c}/timeline"), None, false, true),
        ("GET", format!("/cases/{c}/sla"), None, false, true),
        (
            "POST",
            format!("/cases/{c}/replies"),
            Some(json!({"body": "hi"})),
            true,
            true,
        ),
        (
            "POST",
            format!("/cases/{c}/handoff"),
            Some(json!({"body": "DM us"})),
            true,
            true,
        ),
        ("GET", "/approvals".into(), None, false, false),
        ("GET", format!("/replies/{r}"), None, false, true),
        (
            "POST",
            format!("/replies/{r}/approve"),
            Some(json!({})),
            true,
            true,
        ),
        (
            "POST",
            format!("/replies/{r}/reject"),
            Some(json!({"comment": "no"})),
            true,
            true,
        ),
        (
            "POST",
            format!("/replies/{r}/revise"),
            Some(json!({"body": "new"})),
            true,
            true,
        ),
        ("POST", format!("/replies/{r}/requeue"), None, true, true),
        ("GET", "/templates".into(), None, false, false),
        (
            "POST",
            "/templates".into(),
            Some(json!({"name": "t", "body": "Hi"})),
            true,
            true,
        ),
        (
            "PUT",
            "/templates/t".into(),
            Some(json!({"body": "Hi"})),
            true,
            true,
        ),
        ("GET", "/customers?q=flyer".into(), None, false, false),
        ("GET", format!("/customers/{cu}"), None, false, false),
        (
            "POST",
            format!("/customers/{cu}/identities"),
            Some(json!({"kind": "email", "value": "ff@example.com"})),
            true,
            false,
        ),
        (
            "GET",
            format!("/customers/{cu}/suggestions"),
            None,
            false,
            false,
        ),
        (
            "POST",
            "/customers/merge".into(),
            Some(json!({"survivor_id": cu, "merged_id": cu + 1})),
            true,
            true,
        ),
        ("POST", "/merges/1/unmerge".into(), None, true, true),
        ("GET", "/voice".into(), None, false, false),
        (
            "POST",
            "/voice".into(),
            Some(json!({"kind": "helpful_hint", "body": "they love the app"})),
            true,
            false,
        ),
        ("GET", "/surveys".into(), None, false, false),
        (
            "POST",
            "/surveys".into(),
            Some(json!({"kind": "csat", "score": 4})),
            true,
            true,
        ),
        (
            "POST",
            "/surveys/import".into(),
            Some(json!("kind,score")),
            true,
            true,
        ),
        ("GET", "/audit".into(), None, false, true),
    ];
    for (method, path, body, analyst_forbidden, outsider_forbidden) in &endpoints {
        let (status, error) = f.call(method, path, None, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "anonymous {method} {path}: {error}"
        );
        assert_eq!(error["error"]["code"].as_str(), Some("unauthenticated"));
        let (status, answer) = f.call(method, path, Some(&w.analyst), body.clone()).await;
        if *analyst_forbidden {
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "analyst {method} {path}: {answer}"
            );
            assert_eq!(answer["error"]["code"].as_str(), Some("forbidden"));
        } else {
            assert!(
                status.is_success(),
                "analyst {method} {path}: {status} {answer}"
            );
        }
        let (status, answer) = f.call(method, path, Some(&w.outsider), body.clone()).await;
        if *outsider_forbidden {
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "other team's agent {method} {path}: {answer}"
            );
        } else {
            assert_ne!(
                status,
                StatusCode::FORBIDDEN,
                "other team's agent {method} {path}: {answer}"
            );
            assert_ne!(
                status,
                StatusCode::UNAUTHORIZED,
                "other team's agent {method} {path}: {answer}"
            );
        }
    }
    // Nothing the refused requests asked for happened.
    let (_, case) = f
        .call("GET", &format!("/cases/{c}"), Some(&w.agent), None)
        .await;
    assert_eq!(case["case"]["status"].as_str(), Some("resolved"));
    assert_eq!(case["case"]["priority"].as_str(), Some("high"));
    let (_, users) = f.call("GET", "/users", Some(&w.admin), None).await;
    assert!(
        users["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["username"] != "eve")
    );
    let (_, lead_user) = f
        .call("GET", &format!("/users/{lead}"), Some(&w.lead), None)
        .await;
    assert_eq!(lead_user["role"].as_str(), Some("lead"));
    // Bad input is a 400 in the one error shape, never a panic.
    let (status, error) = f
        .call(
            "POST",
            &format!("/cases/{c}/status"),
            Some(&w.lead),
            Some(json!({"status": "done"})),
        )
        .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    let (status, _) = f.call("GET", "/cases/999999", Some(&w.lead), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[test]
fn every_crm_route_is_in_the_openapi_document() {
    let mut doc = crate::openapi::ApiDoc::default();
    super::describe(&mut doc);
    let mut seen = std::collections::HashSet::new();
    for op in doc.operations() {
        assert!(
            seen.insert((op.method, op.path)),
            "{} {} twice",
            op.method,
            op.path
        );
        assert!(op.path.starts_with("/api/v1/"), "{}", op.path);
    }
    for (method, path) in [
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/cases/{id}/replies"),
        ("post", "/api/v1/replies/{id}/approve"),
        ("post", "/api/v1/merges/{id}/unmerge"),
        ("get", "/api/v1/audit"),
    ] {
        assert!(
            seen.contains(&(method, path)),
            "{method} {path} is not documented"
        );
    }
    assert_eq!(seen.len(), 45);
}
