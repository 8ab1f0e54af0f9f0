//! Listening: saved queries, a live preview of what a query matches (with its count over all
//! history), and the routing rules with their test results and a back-test over stored posts.

use crate::api::views::{PostView, parse_time};
use crate::auth::Actor;
use crate::openapi::{Access, ApiDoc};
use crate::{ApiError, ApiResult, AppState};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use switchyard_pipeline::route::{Condition, Rule};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/queries", get(saved_queries))
        .route("/api/v1/queries/preview", post(preview))
        .route("/api/v1/rules", get(rules))
        .route("/api/v1/rules/check", get(check))
        .route("/api/v1/rules/backtest", get(backtest))
}

pub fn describe(doc: &mut ApiDoc) {
    doc.op(
        "get",
        "/api/v1/queries",
        "listening",
        Access::Read,
        "Saved listening queries from the configuration, each checked.",
    );
    doc.op("post", "/api/v1/queries/preview", "listening", Access::Read,
        "Parse a listening query and show the newest matching posts and how many stored posts match; a syntax error comes back as ok=false with the position.")
        .body("PreviewRequest");
    doc.op(
        "get",
        "/api/v1/rules",
        "listening",
        Access::Read,
        "The routing rules in force: conditions, actions and how many tests each carries.",
    );
    doc.op(
        "get",
        "/api/v1/rules/check",
        "listening",
        Access::Read,
        "Run every rule's tests against the rules in force.",
    );
    doc.op("get", "/api/v1/rules/backtest", "listening", Access::Lead,
        "What each rule would have matched on stored posts since a time, and how many would go unrouted.")
        .query("since", "RFC 3339 time or YYYY-MM-DD (default: 7 days back)");
    doc.schema(
        "PreviewRequest",
        json!({"type": "object", "required": ["query"], "properties": {
        "query": {"type": "string"}, "limit": {"type": "integer"}}}),
    );
}

async fn saved_queries(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let items: Vec<Value> = state
        .saved_queries
        .iter()
        .map(|(name, text)| match switchyard_query::parse(text) {
            Ok(_) => json!({"name": name, "query": text, "valid": true}),
            Err(error) => json!({"name": name, "query": text, "valid": false,
                "error": {"message": error.to_string(), "position": error.position}}),
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

#[derive(Deserialize)]
struct PreviewRequest {
    query: String,
    limit: Option<usize>,
}

async fn preview(
    State(state): State<AppState>,
    actor: Actor,
    body: Result<Json<PreviewRequest>, JsonRejection>,
) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let Json(request) = body?;
    let query = match switchyard_query::parse(&request.query) {
        Ok(query) => query,
        Err(error) => {
            return Ok(Json(
                json!({"ok": false, "matches": [], "backtest_count": 0,
                "error": {"message": error.to_string(), "position": error.position,
                          "expected": error.expected, "found": error.found}}),
            ));
        }
    };
    let limit = request.limit.unwrap_or(20).clamp(1, 100);
    let hits = state
        .store
        .search_hits(&query.expr, limit, 0)
        .await
        .map_err(|error| ApiError::internal("previewing the query", error))?;
    let matches: Vec<PostView> = state
        .store
        .get_posts(&hits.ids)
        .await
        .map_err(|error| ApiError::internal("reading preview posts", error))?
        .into_iter()
        .filter(|stored| actor.can_see_queue(&stored.route.queue))
        .map(PostView::from)
        .collect();
    Ok(Json(
        json!({"ok": true, "error": null, "matches": matches, "backtest_count": hits.total}),
    ))
}

/// A one-line summary of a rule's conditions, for people.
fn describe_conditions(rule: &Rule) -> String {
    let parts: Vec<String> = rule
        .conditions
        .iter()
        .map(|condition| match condition {
            Condition::Query { text, .. } => format!("query: {text}"),
            Condition::Sentiment {
                labels,
                compound_below,
                compound_above,
                ..
            } => {
                let mut text = format!("sentiment: {}", labels.join("|"));
                if let Some(below) = compound_below {
                    text.push_str(&format!(" compound<{below}"));
                }
                if let Some(above) = compound_above {
                    text.push_str(&format!(" compound>{above}"));
                }
                text
            }
            Condition::Label {
                task,
                labels,
                wanted,
                ..
            } => format!(
                "{}{}: {}",
                if *wanted { "" } else { "not " },
                task.as_str(),
                labels.join("|")
            ),
            Condition::Channel(channels) => format!(
                "channel: {}",
                channels
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join("|")
            ),
            Condition::Language(languages) => format!("language: {}", languages.join("|")),
            Condition::FollowersAtLeast(n) => format!("followers ≥ {n}"),
            Condition::FollowersBelow(n) => format!("followers < {n}"),
            Condition::Verified(v) => format!("verified: {v}"),
            Condition::IsReply(v) => format!("reply: {v}"),
            Condition::Hours { start, end } => format!(
                "hours {:02}:{:02}–{:02}:{:02}",
                start / 60,
                start % 60,
                end / 60,
                end % 60
            ),
            Condition::Days(bits) => {
                let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
                let days: Vec<&str> = (0..7)
                    .filter(|day| bits & (1 << day) != 0)
                    .map(|day| names[day])
                    .collect();
                format!("days: {}", days.join(","))
            }
        })
        .collect();
    if parts.is_empty() {
        "every post".to_string()
    } else {
        parts.join(" AND ")
    }
}

async fn rules(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let rules = state.pipeline.rules();
    let items: Vec<Value> = rules
        .rules()
        .iter()
        .map(|rule| {
            let actions = &rule.actions;
            json!({
                "name": rule.name,
                "description": rule.description,
                "line": rule.line,
                "when": describe_conditions(rule),
                "actions": {
                    "queue": actions.queue,
                    "priority": actions.priority.map(|p| p.as_str()),
                    "tags": actions.tags,
                    "sla": actions.sla,
                    "alert": actions.alerts,
                    "stop": actions.stop,
                },
                "tests": rule.tests.len(),
            })
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

async fn check(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let rules = state.pipeline.rules();
    let analyzer = state.pipeline.analyzer().clone();
    let report = tokio::task::spawn_blocking(move || {
        rules.check_with(|post| analyzer.analyze(&post.text, post.author.followers))
    })
    .await
    .map_err(|error| ApiError::internal("running rule tests", error))?;
    Ok(Json(json!({
        "rules": report.rules,
        "tests": report.tests,
        "passed": report.passed,
        "failed": report.failed,
        "untested_rules": report.untested_rules,
        "results": report.outcomes,
    })))
}

#[derive(Deserialize)]
struct BacktestParams {
    since: Option<String>,
}

async fn backtest(
    State(state): State<AppState>,
    actor: Actor,
    params: Result<Query<BacktestParams>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    actor.require_lead()?;
    let Query(params) = params?;
    let since = parse_time("since", params.since.as_deref())?
        .unwrap_or_else(|| chrono::Utc::now() - chrono::Duration::days(7));
    let report = state
        .pipeline
        .backtest(since)
        .await
        .map_err(|error| ApiError::internal("back-testing the rules", error))?;
    let mut value =
        serde_json::to_value(&report).map_err(|e| ApiError::internal("encoding the report", e))?;
    value["by_queue"] = value["queues"].clone();
    Ok(Json(value))
}
