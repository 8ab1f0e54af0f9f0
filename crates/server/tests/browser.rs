//! The web command center in a real headless browser (Debian's chromium driven by chromedriver
//! over WebDriver): sign in, watch a new post arrive in the live stream, open its case, send a
//! reply that needs approval, approve it as a lead, open a chart and its drill-down. Takes
//! screenshots of the main screens on the way.
//!
//! Skips loudly (`SKIPPED (no chromium): …`) where chromedriver or chromium is missing
//! (`apt-get install chromium chromium-driver`). Screenshots go to `$SWITCHYARD_SCREENSHOTS` when
//! set (`scripts/screenshots.sh` points it at `docs/screenshots`), else to a temporary folder.

#[path = "browser/webdriver.rs"]
mod webdriver;

use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use webdriver::{Browser, find_executable};

const WAIT: Duration = Duration::from_secs(20);

/// A running server on 127.0.0.1:0 with a temporary data directory.
struct TestServer {
    base: String,
    _dir: tempfile::TempDir,
    _task: tokio::task::JoinHandle<()>,
}

const ADMIN_TOKEN: &str = "browser-test-admin-token";
const AGENT: (&str, &str) = ("sam", "sam-password-1");
const LEAD: (&str, &str) = ("lena", "lena-password-1");

async fn start_server() -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let state = build_state(dir.path()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = switchyard_server::app(state);
    let task = tokio::spawn(async move {
        let _ = switchyard_server::run(listener, app, std::future::pending()).await;
    });
    TestServer {
        base,
        _dir: dir,
        _task: task,
    }
}

const RULES: &str = r#"
[[rules]]
name = "complaints to support"
[rules.when]
query = "late OR lost OR refund OR broken OR worst OR crashes"
[rules.then]
queue = "support"
priority = "high"
tags = ["complaint"]

[[rules]]
name = "sales leads"
[rules.when]
query = "pricing OR quote OR discount"
[rules.then]
queue = "marketing"
"#;

/// Puts every routed post on a case, as `switchyard serve` does.
struct CaseHook {
    crm: switchyard_crm::Crm,
}

impl switchyard_pipeline::PostHook for CaseHook {
    fn name(&self) -> &str {
        "crm cases (browser test)"
    }

    fn on_stored<'a>(
        &'a self,
        posts: &'a [switchyard_pipeline::LivePost],
    ) -> switchyard_pipeline::HookFuture<'a> {
        Box::pin(async move {
            for stored in posts {
                self.crm
                    .open_or_join_case(&stored.post, &stored.route, Some(&stored.analysis))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        })
    }
}

/// CRM sessions (the browser) first, then the fixed admin token (this test's API calls).
struct Chain(Vec<Arc<dyn switchyard_server::Authenticator>>);

impl switchyard_server::Authenticator for Chain {
    fn authenticate<'a>(
        &'a self,
        headers: &'a axum::http::HeaderMap,
    ) -> switchyard_server::auth::AuthFuture<'a> {
        Box::pin(async move {
            for auth in &self.0 {
                if let Some(actor) = auth.authenticate(headers).await? {
                    return Ok(Some(actor));
                }
            }
            Ok(None)
        })
    }
}

/// Builds the server state: store, pipeline with the case hook, and the CRM with an agent and a
/// lead of the support team.
async fn build_state(dir: &std::path::Path) -> switchyard_server::AppState {
    let store = switchyard_store::Store::open(dir.to_str().unwrap())
        .await
        .unwrap();
    let rules =
        switchyard_pipeline::route::RuleSet::from_toml_str(RULES, "browser test rules").unwrap();
    let analyzer = Arc::new(switchyard_analyze::Analyzer::new());
    let pipeline = Arc::new(switchyard_pipeline::Pipeline::new(
        analyzer,
        rules,
        store.clone(),
    ));
    let db = match store.db() {
        switchyard_store::Db::Sqlite(pool) => switchyard_crm::DbPool::Sqlite(pool.clone()),
        switchyard_store::Db::Postgres(pool) => switchyard_crm::DbPool::Postgres(pool.clone()),
    };
    let mut config = switchyard_crm::CrmConfig::default();
    config.admin.password = Some("admin-password-1".to_string());
    config.admin.password_env = None;
    let crm = switchyard_crm::Crm::new(db, &config).unwrap();
    crm.start().await.unwrap();
    let admin = crm.login("admin", "admin-password-1").await.unwrap().user;
    let admin = crm.actor_for(admin.id).await.unwrap();
    for ((username, password), role, name) in [
        (AGENT, switchyard_crm::Role::Agent, "Sam Agent"),
        (LEAD, switchyard_crm::Role::Lead, "Lena Lead"),
    ] {
        let user = switchyard_crm::people::NewUser {
            username: username.to_string(),
            display_name: Some(name.to_string()),
            email: None,
            role,
            password: Some(password.to_string()),
            teams: vec!["support".to_string(), "marketing".to_string()],
            max_open_cases: Some(500),
        };
        crm.create_user(Some(&admin), &user).await.unwrap();
    }
    crm.save_template(
        Some(&admin),
        "apology",
        "Hi {{ customer.name }}, we are sorry about this. Could you send us your order number?",
        None,
    )
    .await
    .ok();
    pipeline.add_hook(Arc::new(CaseHook { crm: crm.clone() }));
    let tokens = switchyard_server::StaticTokens::new().with(
        ADMIN_TOKEN,
        switchyard_server::Actor {
            user_id: 0,
            name: "browser-test".to_string(),
            role: switchyard_server::Role::Admin,
            teams: vec![],
        },
    );
    let auth = Chain(vec![
        Arc::new(switchyard_server::crm::CrmAuthenticator { crm: crm.clone() }),
        Arc::new(tokens),
    ]);
    let mut state = switchyard_server::AppState::new(Arc::new(auth), store, pipeline);
    state.crm = Some(crm);
    state.saved_queries = Arc::new(
        [
            (
                "Deliveries".to_string(),
                "late OR lost OR parcel".to_string(),
            ),
            (
                "Praise".to_string(),
                "lovely OR great OR thanks".to_string(),
            ),
        ]
        .into_iter()
        .collect(),
    );
    state
}

fn screenshot_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    match std::env::var_os("SWITCHYARD_SCREENSHOTS") {
        Some(dir) => (PathBuf::from(dir), None),
        None => {
            let temp = tempfile::tempdir().unwrap();
            (temp.path().to_path_buf(), Some(temp))
        }
    }
}

/// Realistic traffic over the last week so charts and lists have something to show.
fn demo_posts(now: chrono::DateTime<chrono::Utc>) -> Vec<Value> {
    let texts = [
        ("My parcel is late again and nobody answers the phone", 1),
        (
            "Still waiting for my refund after three weeks, worst service ever",
            1,
        ),
        (
            "The tracking page rejects my tracking number, is it broken?",
            1,
        ),
        ("Thanks for the quick help yesterday, lovely team", 0),
        ("Can I get a quote and pricing for 500 orders a month?", 2),
        ("Order arrived early and well packed, great job", 0),
        ("The app crashes when I open my orders", 1),
        ("Is there a student discount?", 2),
        ("Lost parcel, driver says delivered but nothing here", 1),
        ("Just a normal day, nothing to report", 3),
    ];
    let channels = ["x", "mastodon", "bluesky", "reddit", "review", "forum"];
    let mut posts = Vec::new();
    for i in 0..240usize {
        let (text, _) = texts[(i * 7 + i / 5) % texts.len()];
        let hours_ago = (i * 37 % (24 * 7)) as i64;
        let author = if i % 3 == 0 {
            "frequentflyer".to_string()
        } else {
            format!("user{}", i % 61)
        };
        let followers = if i % 41 == 0 {
            180_000
        } else {
            (i as u64 * 131) % 4_000
        };
        let mut post = json!({
            "channel": channels[i % channels.len()],
            "external_id": format!("demo-{i}"),
            "author": {"handle": author, "display_name": format!("Customer {}", i % 61), "followers": followers, "verified": i % 41 == 0},
            "text": text,
            "created_at": (now - chrono::Duration::hours(hours_ago) - chrono::Duration::minutes((i % 50) as i64)).to_rfc3339(),
            "engagement": {"likes": i % 9, "shares": i % 4, "replies": i % 3},
        });
        if i % 6 == 0 {
            post["engagement"]["views"] = json!(200 + i * 13);
        }
        posts.push(post);
    }
    posts
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "POST {path} → {status}: {value}");
        value
    }
}

/// Clicks the first element matching `css` whose text contains `text` (inside the page).
async fn click_containing(browser: &Browser, css: &str, text: &str, inner: &str) {
    browser.wait_for(css, Some(text), WAIT).await.unwrap();
    let clicked = browser
        .script(
            "const el = [...document.querySelectorAll(arguments[0])].find(e => e.textContent.includes(arguments[1]));\
             const target = arguments[2] ? el && el.querySelector(arguments[2]) : el;\
             if (!target) return false; target.scrollIntoView({block: 'center'}); target.click(); return true;",
            vec![json!(css), json!(text), json!(inner)],
        )
        .await
        .unwrap();
    assert_eq!(
        clicked,
        json!(true),
        "nothing to click in {css} containing {text:?}"
    );
}

/// Saves a screenshot after clearing transient toasts, so the pictures show the screen itself.
async fn shot(browser: &Browser, dir: &std::path::Path, name: &str) {
    browser
        .script(
            "document.getElementById('toasts')?.replaceChildren();",
            vec![],
        )
        .await
        .unwrap();
    browser.screenshot(&dir.join(name)).await.unwrap();
}

async fn sign_in(browser: &Browser, (username, password): (&str, &str)) {
    browser
        .wait_for("#signin-username", None, WAIT)
        .await
        .unwrap();
    browser
        .type_into("#signin-username", username)
        .await
        .unwrap();
    browser
        .type_into("#signin-password", password)
        .await
        .unwrap();
    browser.click("#signin-submit").await.unwrap();
    browser
        .wait_for("#user-name", Some(username_display(username)), WAIT)
        .await
        .unwrap();
}

fn username_display(username: &str) -> &'static str {
    match username {
        "sam" => "Sam Agent",
        _ => "Lena Lead",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_center_in_a_real_browser() {
    let Some(chromedriver) = find_executable("chromedriver", &["/usr/bin/chromedriver"]) else {
        eprintln!(
            "SKIPPED (no chromium): chromedriver is not installed; apt-get install chromium chromium-driver"
        );
        return;
    };
    let Some(chromium) = find_executable(
        "chromium",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    ) else {
        eprintln!(
            "SKIPPED (no chromium): chromium is not installed; apt-get install chromium chromium-driver"
        );
        return;
    };
    // reqwest is built without a default TLS provider; plain HTTP still wants one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = start_server().await;
    let api = Api {
        http: reqwest::Client::new(),
        base: server.base.clone(),
        token: ADMIN_TOKEN.to_string(),
    };
    let now = chrono::Utc::now();
    api.post("/api/v1/posts", json!({"posts": demo_posts(now)}))
        .await;

    let (shots, _keep) = screenshot_dir();
    let browser = match Browser::start(&chromedriver, &chromium).await {
        Ok(browser) => browser,
        Err(error) => panic!("chromium is installed but could not be driven: {error}"),
    };
    browser.window(1400, 1000).await.unwrap();
    let base = &server.base;

    // 1. the app asks who is there; the agent signs in and sees the overview
    browser.goto(&format!("{base}/")).await.unwrap();
    browser
        .wait_for("#signin-username", None, WAIT)
        .await
        .unwrap();
    shot(&browser, &shots, "signin.png").await;
    sign_in(&browser, AGENT).await;
    browser.wait_for(".kpis", None, WAIT).await.unwrap();
    browser
        .wait_for("#overview-live .post", None, WAIT)
        .await
        .unwrap();
    browser
        .wait_for(".queue-list a", Some("support"), WAIT)
        .await
        .unwrap();
    shot(&browser, &shots, "overview.png").await;

    // 2. a new post arrives in the live stream while the agent watches
    browser.goto(&format!("{base}/#/live")).await.unwrap();
    browser
        .wait_for("#live-list .post", None, WAIT)
        .await
        .unwrap();
    browser
        .wait_for("#conn-state", Some("live"), WAIT)
        .await
        .unwrap();
    let unique = format!(
        "Order 7731 is late again and nobody answers (test {})",
        now.timestamp()
    );
    api.post(
        "/api/v1/posts",
        json!({"posts": [{
            "channel": "x", "external_id": format!("browser-{}", now.timestamp_micros()),
            "author": {"handle": "bigcustomer", "display_name": "Big Customer", "followers": 150_000, "verified": true},
            "text": unique, "created_at": chrono::Utc::now().to_rfc3339(),
        }]}),
    )
    .await;
    browser
        .wait_for("#live-list .post", Some(&unique), WAIT)
        .await
        .unwrap();
    shot(&browser, &shots, "live.png").await;

    // 3. the agent opens its case and replies; the author's reach means a lead must approve
    click_containing(&browser, "#live-list .post", &unique, "button").await;
    browser
        .wait_for("#case-thread", Some(&unique), WAIT)
        .await
        .unwrap();
    browser
        .type_into(
            "#reply-text",
            "We are sorry for the wait. Could you send us a direct message with the order number?",
        )
        .await
        .unwrap();
    browser.click("#reply-send").await.unwrap();
    browser
        .wait_for("#case-thread [data-status='awaiting_approval']", None, WAIT)
        .await
        .unwrap();
    browser
        .wait_for("#customer-title", None, WAIT)
        .await
        .unwrap();
    shot(&browser, &shots, "case.png").await;
    let case_url: String = browser
        .script("return location.hash", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();

    // the other main screens, for the screenshots
    browser
        .goto(&format!("{base}/#/queues/support"))
        .await
        .unwrap();
    browser
        .wait_for("#cases-table tbody tr", None, WAIT)
        .await
        .unwrap();
    shot(&browser, &shots, "queues.png").await;
    browser.goto(&format!("{base}/#/listening")).await.unwrap();
    browser
        .type_into("#query-text", "late OR lost")
        .await
        .unwrap();
    browser
        .wait_for("#backtest-count", None, WAIT)
        .await
        .unwrap();
    browser
        .wait_for("#query-preview .post", None, WAIT)
        .await
        .unwrap();
    shot(&browser, &shots, "listening.png").await;

    // 4. the lead approves the reply
    browser.click("#signout-button").await.unwrap();
    sign_in(&browser, LEAD).await;
    browser.goto(&format!("{base}/#/approvals")).await.unwrap();
    browser
        .wait_for(
            "#approvals-list .post",
            Some("We are sorry for the wait"),
            WAIT,
        )
        .await
        .unwrap();
    shot(&browser, &shots, "approvals.png").await;
    browser.click("#approvals-list .approve").await.unwrap();
    browser
        .wait_for("main .empty", Some("Nothing waits for approval"), WAIT)
        .await
        .unwrap();
    browser.goto(&format!("{base}/{case_url}")).await.unwrap();
    browser
        .wait_for("#case-thread [data-status='approved'], #case-thread [data-status='queued'], #case-thread [data-status='delivered']", None, WAIT)
        .await
        .unwrap();

    // 5. a chart and its drill-down
    browser
        .goto(&format!("{base}/#/analytics?range=7d"))
        .await
        .unwrap();
    browser
        .wait_for("#an-volume .seg", None, WAIT)
        .await
        .unwrap();
    browser
        .wait_for("#an-top .bar-btn", None, WAIT)
        .await
        .unwrap();
    browser.wait_for("#top1-share", None, WAIT).await.unwrap();
    shot(&browser, &shots, "analytics.png").await;
    browser.click("#an-volume .seg").await.unwrap();
    browser
        .wait_for("#an-volume-drill .drill-posts li", None, WAIT)
        .await
        .unwrap();
    browser.click("#an-top .bar-btn").await.unwrap();
    browser
        .wait_for("#an-top-drill .drill-posts li", None, WAIT)
        .await
        .unwrap();
    shot(&browser, &shots, "analytics-drilldown.png").await;

    // 6. the overview on a phone-sized screen
    browser.window(420, 900).await.unwrap();
    browser.goto(&format!("{base}/#/overview")).await.unwrap();
    browser.wait_for(".kpis", None, WAIT).await.unwrap();
    browser
        .wait_for("#overview-live .post", None, WAIT)
        .await
        .unwrap();
    shot(&browser, &shots, "overview-phone.png").await;

    let errors = browser.console_errors().await;
    assert!(
        errors.is_empty(),
        "the page raised script errors: {errors:#?}"
    );
    eprintln!("browser test passed; screenshots in {}", shots.display());
}
