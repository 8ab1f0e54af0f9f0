//! Analytics beyond basic volume: top values of a field, emerging topics, share of voice across
//! listening queries, top authors by reach, participation inequality, SLA compliance, surveys
//! against social sentiment, agents' voice, and the posts behind every figure (JSON and CSV).
//!
//! Every aggregate is portable SQL run on the store's own pool (SQLite or PostgreSQL). Post times
//! are microseconds since the epoch (store schema); CRM times are milliseconds (CRM schema).
//! Agents and leads see only the queues of their teams, as in `/api/v1/posts`.

use crate::AppState;
use crate::api::views::{PostView, parse_time};
use crate::auth::{Actor, Role};
use crate::error::{ApiError, ApiResult, ErrorCode};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use switchyard_store::{Db, StoredPost};

/// Runs `$body` with `$pool` bound to the SQLite or the PostgreSQL pool (same SQL on both).
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

/// Binds every value of a list onto a query, in order.
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for bind in $binds {
            query = match bind {
                Bind::Int(value) => query.bind(*value),
                Bind::Text(value) => query.bind(value.as_str()),
            };
        }
        query
    }};
}

/// Every analytics route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/analytics/top", get(top))
        .route("/api/v1/analytics/topics", get(topics))
        .route("/api/v1/analytics/share-of-voice", get(share_of_voice))
        .route("/api/v1/analytics/authors", get(authors))
        .route("/api/v1/analytics/participation", get(participation))
        .route("/api/v1/analytics/sla", get(sla))
        .route("/api/v1/analytics/surveys", get(surveys))
        .route("/api/v1/analytics/voice", get(voice))
        .route("/api/v1/analytics/posts", get(drill_posts))
        .route("/api/v1/analytics/export.csv", get(export_csv))
        .route("/api/v1/analytics/queues", get(queue_summary))
        .route("/api/v1/posts/{id}/case", get(post_case))
}

/// What every post aggregate reads from (a post, its analysis and its route are one row).
const FROM_POSTS: &str = "FROM posts p";

/// Largest number of posts a listening-query scan looks at (share of voice, drill-down by query).
pub const MAX_SCAN: usize = 500_000;
/// Largest drill-down page and CSV export.
pub const MAX_EXPORT: usize = 10_000;

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
enum Bind {
    Int(i64),
    Text(String),
}

/// `WHERE` conditions with numbered placeholders (`$1`… work on both backends).
#[derive(Debug, Default)]
struct Conditions {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Conditions {
    fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    fn push(&mut self, template: &str, value: Bind) {
        let placeholder = self.bind(value);
        self.clauses.push(template.replace("{}", &placeholder));
    }

    fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// Query parameters shared by the analytics endpoints: a time window and optional filters that
/// narrow the posts (the same filters a chart's drill-down passes on).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SliceParams {
    pub since: Option<String>,
    pub until: Option<String>,
    pub channel: Option<String>,
    pub sentiment: Option<String>,
    pub intent: Option<String>,
    pub reason: Option<String>,
    pub urgency: Option<String>,
    pub language: Option<String>,
    pub queue: Option<String>,
    pub author: Option<String>,
    /// A listening query; posts must match it (drill-down and export only).
    pub q: Option<String>,
    /// With `value`: one more `field = value` condition (a clicked bar). `(none)` means unset.
    pub field: Option<String>,
    pub value: Option<String>,
    pub limit: Option<usize>,
    /// Share of voice: listening queries separated by commas (commas inside quotes or
    /// parentheses belong to the query), or saved query names.
    pub queries: Option<String>,
    /// Share of voice: `day` (default) or `hour` series.
    pub bucket: Option<String>,
    /// Topics: the baseline window length in days before `since` (default 7).
    pub baseline_days: Option<i64>,
}

/// The SQL column behind a drill-down field name.
fn field_column(field: &str) -> ApiResult<&'static str> {
    Ok(match field {
        "reason" => "p.reason",
        "intent" => "p.intent",
        "sentiment" => "p.sentiment",
        "urgency" => "p.urgency",
        "complaint" => "p.complaint",
        "toxicity" => "p.toxicity",
        "language" => "p.detected_language",
        "channel" => "p.channel",
        "queue" => "p.queue",
        "priority" => "p.priority",
        "author" => "p.author_handle",
        "visibility" => "p.visibility",
        other => {
            return Err(ApiError::bad_request(format!(
                "field={other:?} is not a field analytics can group by; use reason, intent, sentiment, urgency, complaint, toxicity, language, channel, queue, priority, author or visibility"
            )));
        }
    })
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The time window of a request, as store microseconds.
/// A time window: since (inclusive) and until (exclusive), each optional.
type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

fn window(params: &SliceParams) -> ApiResult<Window> {
    let since = parse_time("since", params.since.as_deref())?;
    let until = parse_time("until", params.until.as_deref())?;
    if let (Some(since), Some(until)) = (since, until)
        && since >= until
    {
        return Err(ApiError::bad_request(
            "since must be earlier than until; swap them or widen the window",
        ));
    }
    Ok((since, until))
}

/// Conditions for the post filters of `params`, plus the caller's queue visibility.
fn post_conditions(params: &SliceParams, actor: &Actor) -> ApiResult<Conditions> {
    let mut conditions = Conditions::default();
    let (since, until) = window(params)?;
    if let Some(since) = since {
        conditions.push("p.created_at >= {}", Bind::Int(since.timestamp_micros()));
    }
    if let Some(until) = until {
        conditions.push("p.created_at < {}", Bind::Int(until.timestamp_micros()));
    }
    let simple = [
        ("p.channel", &params.channel),
        ("p.sentiment", &params.sentiment),
        ("p.intent", &params.intent),
        ("p.reason", &params.reason),
        ("p.urgency", &params.urgency),
        ("p.detected_language", &params.language),
        ("p.queue", &params.queue),
    ];
    for (column, value) in simple {
        if let Some(value) = non_empty(value) {
            conditions.push(&format!("{column} = {{}}"), Bind::Text(value.to_string()));
        }
    }
    if let Some(author) = non_empty(&params.author) {
        let handle = author.trim_start_matches('@').to_string();
        conditions.push("p.author_handle = {}", Bind::Text(handle));
    }
    if let Some(field) = non_empty(&params.field) {
        let column = field_column(field)?;
        match non_empty(&params.value) {
            None | Some("(none)") => conditions.clauses.push(format!("{column} IS NULL")),
            Some(value) => {
                conditions.push(&format!("{column} = {{}}"), Bind::Text(value.to_string()))
            }
        }
    }
    restrict_to_visible_queues(&mut conditions, actor);
    Ok(conditions)
}

/// Agents and leads see only their teams' queues.
fn restrict_to_visible_queues(conditions: &mut Conditions, actor: &Actor) {
    if matches!(actor.role, Role::Admin | Role::Analyst) {
        return;
    }
    if actor.teams.is_empty() {
        conditions.clauses.push("1 = 0".to_string());
        return;
    }
    let placeholders: Vec<String> = actor
        .teams
        .iter()
        .map(|team| conditions.bind(Bind::Text(team.clone())))
        .collect();
    conditions
        .clauses
        .push(format!("p.queue IN ({})", placeholders.join(", ")));
}

fn db_error(context: &str) -> impl FnOnce(sqlx::Error) -> ApiError + '_ {
    move |error| ApiError::internal(context, error)
}

fn share(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// `GET /api/v1/analytics/top?field=reason|intent|channel|language|…&since=&until=&limit=` — the
/// most frequent values of a field with counts, shares, negative share and mean sentiment.
async fn top(
    State(state): State<AppState>,
    actor: Actor,
    Query(params): Query<SliceParams>,
) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let field = non_empty(&params.field).unwrap_or("reason").to_string();
    let column = field_column(&field)?;
    let mut slice = params.clone();
    slice.field = None;
    slice.value = None;
    let conditions = post_conditions(&slice, &actor)?;
    let limit = params.limit.unwrap_or(15).clamp(1, 200) as i64;
    let sql = format!(
        "SELECT {column} AS value, COUNT(*) AS total, \
         COUNT(CASE WHEN p.sentiment = 'negative' THEN 1 END) AS negative, \
         CAST(AVG(p.compound) AS DOUBLE PRECISION) AS avg_compound \
         {FROM_POSTS} {} GROUP BY {column} ORDER BY total DESC, value LIMIT {limit}",
        conditions.where_sql()
    );
    let total_sql = format!("SELECT COUNT(*) {FROM_POSTS} {}", conditions.where_sql());
    type TopRow = (Option<String>, i64, i64, Option<f64>);
    let (rows, total): (Vec<TopRow>, i64) = on_db!(state.store.db(), |pool| {
        let rows = bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &conditions.binds)
            .fetch_all(pool)
            .await
            .map_err(db_error("counting top values"))?;
        let total = bind_all!(
            sqlx::query_scalar(sqlx::AssertSqlSafe(total_sql)),
            &conditions.binds
        )
        .fetch_one(pool)
        .await
        .map_err(db_error("counting posts"))?;
        (rows, total)
    });
    let items: Vec<Value> = rows
        .into_iter()
        .map(|(value, count, negative, avg)| {
            json!({
                "value": value.unwrap_or_else(|| "(none)".to_string()),
                "count": count,
                "share": share(count, total),
                "negative": negative,
                "negative_share": share(negative, count),
                "avg_compound": avg,
            })
        })
        .collect();
    Ok(Json(
        json!({"field": field, "total": total, "items": items}),
    ))
}

/// `GET /api/v1/analytics/authors?since=&until=&limit=` — authors ranked by reach (followers),
/// with their posts, engagement, views and mean sentiment.
async fn authors(
    State(state): State<AppState>,
    actor: Actor,
    Query(params): Query<SliceParams>,
) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let conditions = post_conditions(&params, &actor)?;
    let limit = params.limit.unwrap_or(20).clamp(1, 500) as i64;
    let sql = format!(
        "SELECT p.channel, p.author_handle, MAX(p.author_display_name), \
         MAX(p.author_followers) AS reach, \
         MAX(CASE WHEN p.author_verified THEN 1 ELSE 0 END), COUNT(*) AS posts, \
         CAST(SUM(p.likes + p.shares + p.replies) AS BIGINT), CAST(SUM(p.views) AS BIGINT), \
         CAST(AVG(p.compound) AS DOUBLE PRECISION), \
         COUNT(CASE WHEN p.sentiment = 'negative' THEN 1 END) \
         {FROM_POSTS} {} GROUP BY p.channel, p.author_handle \
         ORDER BY COALESCE(MAX(p.author_followers), -1) DESC, posts DESC LIMIT {limit}",
        conditions.where_sql()
    );
    type AuthorRow = (
        String,
        String,
        Option<String>,
        Option<i64>,
        i32,
        i64,
        Option<i64>,
        Option<i64>,
        Option<f64>,
        i64,
    );
    let rows: Vec<AuthorRow> = on_db!(state.store.db(), |pool| {
        bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &conditions.binds)
            .fetch_all(pool)
            .await
            .map_err(db_error("ranking authors"))?
    });
    let items: Vec<Value> = rows
        .into_iter()
        .map(
            |(channel, handle, name, reach, verified, posts, engagement, views, avg, negative)| {
                json!({
                    "channel": channel, "handle": handle, "display_name": name,
                    "followers": reach, "verified": verified != 0, "posts": posts,
                    "engagement": engagement.unwrap_or(0), "views": views,
                    "avg_compound": avg, "negative": negative,
                })
            },
        )
        .collect();
    Ok(Json(json!({"items": items})))
}

/// Inequality figures of a list of per-author post counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Inequality {
    pub authors: usize,
    pub posts: u64,
    /// Share of posts written by the most active 1% of authors (at least one author).
    pub top1_share: f64,
    pub top10_share: f64,
    /// Gini coefficient of posts per author (0 = everyone posts equally, 1 = one author posts all).
    pub gini: f64,
    /// Share of authors who posted exactly once.
    pub one_post_share: f64,
    /// Lorenz curve: (share of authors, share of posts), least active first, 21 points.
    pub lorenz: Vec<(f64, f64)>,
}

/// Computes participation inequality from posts per author.
pub fn inequality(mut counts: Vec<u64>) -> Inequality {
    counts.retain(|&c| c > 0);
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let authors = counts.len();
    let posts: u64 = counts.iter().sum();
    if authors == 0 || posts == 0 {
        return Inequality {
            authors,
            posts,
            top1_share: 0.0,
            top10_share: 0.0,
            gini: 0.0,
            one_post_share: 0.0,
            lorenz: vec![(0.0, 0.0), (1.0, 1.0)],
        };
    }
    let top_share = |fraction: f64| {
        let n = ((authors as f64 * fraction).ceil() as usize).clamp(1, authors);
        counts[..n].iter().sum::<u64>() as f64 / posts as f64
    };
    // Gini over ascending counts: G = (2 Σ i·x_i) / (n Σ x) − (n + 1) / n, i from 1.
    let n = authors as f64;
    let weighted: f64 = counts
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| (i as f64 + 1.0) * x as f64)
        .sum();
    let gini = ((2.0 * weighted) / (n * posts as f64) - (n + 1.0) / n).max(0.0);
    let ascending: Vec<u64> = counts.iter().rev().copied().collect();
    let mut lorenz = Vec::with_capacity(21);
    let mut cumulative = Vec::with_capacity(authors + 1);
    cumulative.push(0u64);
    for &x in &ascending {
        cumulative.push(cumulative.last().copied().unwrap_or(0) + x);
    }
    for step in 0..=20 {
        let fraction = step as f64 / 20.0;
        let k = ((authors as f64) * fraction).round() as usize;
        lorenz.push((fraction, cumulative[k.min(authors)] as f64 / posts as f64));
    }
    Inequality {
        authors,
        posts,
        top1_share: top_share(0.01),
        top10_share: top_share(0.10),
        gini,
        one_post_share: counts.iter().filter(|&&c| c == 1).count() as f64 / n,
        lorenz,
    }
}

/// `GET /api/v1/analytics/participation?since=&until=` — how unequal participation is (share of
/// posts by the top 1% of authors, Gini, Lorenz curve), the most active authors, and where a
/// channel reports views, how much of the audience only reads.
async fn participation(
    State(state): State<AppState>,
    actor: Actor,
    Query(params): Query<SliceParams>,
) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let conditions = post_conditions(&params, &actor)?;
    let per_author_sql = format!(
        "SELECT p.channel, p.author_handle, COUNT(*) AS n {FROM_POSTS} {} \
         GROUP BY p.channel, p.author_handle",
        conditions.where_sql()
    );
    let views_sql = format!(
        "SELECT p.channel, COUNT(*), CAST(SUM(p.views) AS BIGINT), \
         CAST(SUM(p.likes + p.shares + p.replies) AS BIGINT) {FROM_POSTS} {} \
         {} p.views IS NOT NULL GROUP BY p.channel ORDER BY p.channel",
        conditions.where_sql(),
        if conditions.clauses.is_empty() {
            "WHERE"
        } else {
            "AND"
        }
    );
    type AuthorCount = (String, String, i64);
    type ChannelViews = (String, i64, Option<i64>, Option<i64>);
    let (per_author, views): (Vec<AuthorCount>, Vec<ChannelViews>) =
        on_db!(state.store.db(), |pool| {
            let per_author = bind_all!(
                sqlx::query_as(sqlx::AssertSqlSafe(per_author_sql)),
                &conditions.binds
            )
            .fetch_all(pool)
            .await
            .map_err(db_error("counting posts per author"))?;
            let views = bind_all!(
                sqlx::query_as(sqlx::AssertSqlSafe(views_sql)),
                &conditions.binds
            )
            .fetch_all(pool)
            .await
            .map_err(db_error("summing views"))?;
            (per_author, views)
        });
    let mut most_active: Vec<&(String, String, i64)> = per_author.iter().collect();
    most_active.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
    let top_authors: Vec<Value> = most_active
        .iter()
        .take(10)
        .map(|(channel, handle, n)| json!({"channel": channel, "handle": handle, "posts": n}))
        .collect();
    let figures = inequality(
        per_author
            .iter()
            .map(|(_, _, n)| u64::try_from(*n).unwrap_or(0))
            .collect(),
    );
    let mut total_views = 0i64;
    let mut total_engagement = 0i64;
    let mut total_posts_with_views = 0i64;
    let by_channel: Vec<Value> = views
        .into_iter()
        .map(|(channel, posts, views, engagement)| {
            let views = views.unwrap_or(0);
            let engagement = engagement.unwrap_or(0);
            total_views += views;
            total_engagement += engagement;
            total_posts_with_views += posts;
            json!({
                "channel": channel, "posts": posts, "views": views, "engagements": engagement,
                "read_only_share": read_only_share(views, engagement),
            })
        })
        .collect();
    Ok(Json(json!({
        "authors": figures.authors,
        "posts": figures.posts,
        "top1_share": figures.top1_share,
        "top10_share": figures.top10_share,
        "gini": figures.gini,
        "one_post_share": figures.one_post_share,
        "lorenz": figures.lorenz.iter().map(|(x, y)| json!([x, y])).collect::<Vec<_>>(),
        "most_active": top_authors,
        "views": {
            "posts_with_views": total_posts_with_views,
            "views": total_views,
            "engagements": total_engagement,
            "read_only_share": if total_views > 0 { Some(read_only_share(total_views, total_engagement)) } else { None },
            "by_channel": by_channel,
        },
    })))
}

/// Of everyone who saw posts, the share who did not like, share or reply (an upper bound on
/// engagement per view: one interaction per viewer).
fn read_only_share(views: i64, engagements: i64) -> f64 {
    if views <= 0 {
        return 0.0;
    }
    (1.0 - engagements as f64 / views as f64).clamp(0.0, 1.0)
}

/// Splits `a,b,"c, d"` on commas that are outside quotes and parentheses.
pub fn split_queries(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0i32;
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth <= 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Parses a listening query, reporting errors as `invalid_query` with the position.
fn compile_query(label: &str, text: &str) -> ApiResult<switchyard_query::Matcher> {
    match switchyard_query::parse(text) {
        Ok(query) => Ok(query.compile()),
        Err(error) => Err(ApiError::new(
            ErrorCode::InvalidQuery,
            format!("query {label:?} does not parse: {error}"),
        )),
    }
}

/// Walks the posts of a window (newest last), calling `visit` for each one the actor may see;
/// stops after [`MAX_SCAN`] posts and says whether it stopped early.
async fn scan_posts(
    state: &AppState,
    actor: &Actor,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    mut visit: impl FnMut(&StoredPost) -> bool,
) -> ApiResult<(usize, bool)> {
    let mut batches = state.store.posts_in_batches(since, 2_000);
    let mut scanned = 0usize;
    while let Some(batch) = batches
        .next()
        .await
        .map_err(|error| ApiError::internal("reading posts", error))?
    {
        for stored in &batch {
            if until.is_some_and(|until| stored.post.post.created_at >= until) {
                continue;
            }
            if !actor.can_see_queue(&stored.route.queue) {
                continue;
            }
            scanned += 1;
            if !visit(stored) {
                return Ok((scanned, true));
            }
            if scanned >= MAX_SCAN {
                return Ok((scanned, true));
            }
        }
    }
    Ok((scanned, false))
}

/// `GET /api/v1/analytics/share-of-voice?queries=a,b&since=&until=&bucket=day` — how many posts
/// each listening query (or saved query name) matches, its share of all matches, sentiment and
/// reach, and a series per bucket.
async fn share_of_voice(
    State(state): State<AppState>,
    actor: Actor,
    Query(params): Query<SliceParams>,
) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let mut queries: Vec<(String, String)> = Vec::new();
    match non_empty(&params.queries) {
        Some(text) => {
            for part in split_queries(text) {
                match state.saved_queries.get(&part) {
                    Some(saved) => queries.push((part.clone(), saved.clone())),
                    None => queries.push((part.clone(), part)),
                }
            }
        }
        None => {
            for (name, text) in state.saved_queries.iter() {
                queries.push((name.clone(), text.clone()));
            }
        }
    }
    if queries.is_empty() {
        return Err(ApiError::bad_request(
            "give queries=<query>,<query>… (listening queries or saved query names); no saved queries are configured",
        ));
    }
    if queries.len() > 20 {
        return Err(ApiError::bad_request(
            "compare at most 20 queries at a time",
        ));
    }
    let matchers = queries
        .iter()
        .map(|(label, text)| compile_query(label, text))
        .collect::<ApiResult<Vec<_>>>()?;
    let (since, until) = window(&params)?;
    let since = since.or_else(|| Some(Utc::now() - Duration::days(30)));
    let width: i64 = match non_empty(&params.bucket) {
        Some("hour") => 3_600,
        Some("day") | None => 86_400,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "bucket={other:?} is not known; use hour or day"
            )));
        }
    };
    #[derive(Default, Clone)]
    struct Tally {
        posts: i64,
        positive: i64,
        neutral: i64,
        negative: i64,
        reach: i64,
        series: BTreeMap<i64, i64>,
    }
    let mut tallies = vec![Tally::default(); queries.len()];
    let mut matched_any = 0i64;
    let (scanned, truncated) = scan_posts(&state, &actor, since, until, |stored| {
        let view = switchyard_query::PostView::with_analysis(&stored.post.post, &stored.analysis);
        let prepared = switchyard_query::PreparedPost::new(view);
        let mut any = false;
        for (tally, matcher) in tallies.iter_mut().zip(&matchers) {
            if !matcher.matches_prepared(&prepared) {
                continue;
            }
            any = true;
            tally.posts += 1;
            match stored.analysis.sentiment.label.as_str() {
                "positive" => tally.positive += 1,
                "negative" => tally.negative += 1,
                _ => tally.neutral += 1,
            }
            let followers = stored.post.post.author.followers.unwrap_or(0);
            tally.reach += i64::try_from(followers).unwrap_or(i64::MAX);
            let at = stored.post.post.created_at.timestamp();
            *tally
                .series
                .entry(at.div_euclid(width) * width)
                .or_default() += 1;
        }
        if any {
            matched_any += 1;
        }
        true
    })
    .await?;
    let all_matches: i64 = tallies.iter().map(|t| t.posts).sum();
    let items: Vec<Value> = queries
        .iter()
        .zip(&tallies)
        .map(|((label, text), tally)| {
            json!({
                "label": label, "query": text, "posts": tally.posts,
                "share": share(tally.posts, all_matches),
                "positive": tally.positive, "neutral": tally.neutral, "negative": tally.negative,
                "net_sentiment": if tally.posts > 0 { Some((tally.positive - tally.negative) as f64 / tally.posts as f64) } else { None },
                "reach": tally.reach,
                "series": tally.series.iter().map(|(start, count)| json!({
                    "start": DateTime::from_timestamp(*start, 0).map(|t| t.to_rfc3339()),
                    "posts": count,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({
        "items": items,
        "scanned": scanned,
        "matched_any": matched_any,
        "truncated": truncated,
        "since": since.map(|t| t.to_rfc3339()),
        "until": until.map(|t| t.to_rfc3339()),
    })))
}

/// Words too common to be a topic.
const STOPWORDS: &[&str] = &[
    "about", "after", "again", "also", "been", "before", "being", "could", "does", "doing", "dont",
    "from", "have", "having", "here", "hers", "into", "just", "know", "like", "make", "more",
    "most", "much", "need", "only", "other", "ours", "over", "really", "same", "should", "some",
    "such", "than", "that", "thats", "their", "them", "then", "there", "these", "they", "this",
    "those", "through", "today", "very", "want", "were", "what", "when", "where", "which", "while",
    "will", "with", "would", "your", "yours", "youre", "still", "thanks", "thank", "please",
    "since", "because", "cant", "didnt", "doesnt", "isnt", "wont", "going", "were", "https",
    "http", "amp", "every", "even", "back", "time", "them", "ever", "via", "what's", "it's", "i'm",
    "don't", "can't", "won't", "didn't", "doesn't", "isn't", "you're", "aber", "auch", "dass",
    "eine", "einen", "nicht", "noch", "oder", "sind", "wird", "pour", "avec", "dans", "est",
    "mais", "nous", "vous", "pero", "para", "como", "esta", "este",
];

/// The distinct topic words of a text: lowercase words of four or more letters, no stop words,
/// links, mentions or numbers; hashtags keep their `#`.
pub fn topic_terms(text: &str) -> HashSet<String> {
    let mut terms = HashSet::new();
    for raw in text.split(|c: char| c.is_whitespace()) {
        if raw.starts_with("http") || raw.starts_with('@') || raw.starts_with("www.") {
            continue;
        }
        let hashtag = raw.starts_with('#');
        let word: String = raw
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '\'')
            .flat_map(char::to_lowercase)
            .collect();
        let word = word.trim_matches('\'').trim_end_matches("'s").to_string();
        if word.chars().count() < 4 || word.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if STOPWORDS.contains(&word.as_str()) {
            continue;
        }
        terms.insert(if hashtag { format!("#{word}") } else { word });
    }
    terms
}

/// Terms whose share of posts grew most from a baseline to a recent window.
pub fn emerging_terms(
    recent: &[String],
    baseline: &[String],
    min_count: usize,
    limit: usize,
) -> Vec<Value> {
    let mut recent_df: HashMap<String, usize> = HashMap::new();
    for text in recent {
        for term in topic_terms(text) {
            *recent_df.entry(term).or_default() += 1;
        }
    }
    let mut baseline_df: HashMap<String, usize> = HashMap::new();
    for text in baseline {
        for term in topic_terms(text) {
            *baseline_df.entry(term).or_default() += 1;
        }
    }
    let recent_n = recent.len().max(1) as f64;
    let baseline_n = baseline.len().max(1) as f64;
    let mut scored: Vec<(f64, &String, usize, usize)> = recent_df
        .iter()
        .filter(|(_, count)| **count >= min_count)
        .map(|(term, &count)| {
            let before = baseline_df.get(term).copied().unwrap_or(0);
            let recent_rate = count as f64 / recent_n;
            let baseline_rate = (before as f64 + 0.5) / (baseline_n + 1.0);
            let growth = recent_rate / baseline_rate;
            (
                growth.ln().max(0.0) * (count as f64).ln_1p(),
                term,
                count,
                before,
            )
        })
        .filter(|(score, ..)| *score > 0.0)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(limit)
        .map(|(score, term, count, before)| {
            json!({
                "term": term, "posts": count, "share": count as f64 / recent_n,
                "baseline_posts": before, "baseline_share": before as f64 / baseline_n,
                "growth": (count as f64 / recent_n) / ((before as f64 + 0.5) / (baseline_n + 1.0)),
                "score": score,
            })
        })
        .collect()
}

/// `GET /api/v1/analytics/topics?since=&until=&baseline_days=7&intent=complaint` — emerging
/// topics: words whose share of posts grew most in the window against the days before it.
async fn topics(
    State(state): State<AppState>,
    actor: Actor,
    Query(params): Query<SliceParams>,
) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let now = Utc::now();
    let (since, until) = window(&params)?;
    let until_at = until.unwrap_or(now);
    let since_at = since.unwrap_or(until_at - Duration::days(1));
    let baseline_days = params.baseline_days.unwrap_or(7).clamp(1, 90);
    let baseline_since = since_at - Duration::days(baseline_days);
    let sample = 20_000usize;
    let mut recent_params = params.clone();
    recent_params.since = Some(since_at.to_rfc3339());
    recent_params.until = Some(until_at.to_rfc3339());
    let mut baseline_params = params.clone();
    baseline_params.since = Some(baseline_since.to_rfc3339());
    baseline_params.until = Some(since_at.to_rfc3339());
    let recent = texts(&state, &recent_params, &actor, sample).await?;
    let baseline = texts(&state, &baseline_params, &actor, sample).await?;
    let min_count = (recent.len() / 500).max(3);
    let limit = params.limit.unwrap_or(15).clamp(1, 100);
    Ok(Json(json!({
        "since": since_at.to_rfc3339(),
        "until": until_at.to_rfc3339(),
        "baseline_since": baseline_since.to_rfc3339(),
        "recent_posts": recent.len(),
        "baseline_posts": baseline.len(),
        "items": emerging_terms(&recent, &baseline, min_count, limit),
    })))
}

/// Texts of the newest posts of a slice, at most `limit`.
async fn texts(
    state: &AppState,
    params: &SliceParams,
    actor: &Actor,
    limit: usize,
) -> ApiResult<Vec<String>> {
    let conditions = post_conditions(params, actor)?;
    let sql = format!(
        "SELECT p.text {FROM_POSTS} {} ORDER BY p.id DESC LIMIT {limit}",
        conditions.where_sql()
    );
    Ok(on_db!(state.store.db(), |pool| {
        bind_all!(
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)),
            &conditions.binds
        )
        .fetch_all(pool)
        .await
        .map_err(db_error("reading post texts"))?
    }))
}

/// Epoch milliseconds of a time (CRM tables).
fn millis(at: Option<DateTime<Utc>>) -> Option<i64> {
    at.map(|t| t.timestamp_millis())
}

/// Summary of response times (milliseconds of business time) and SLA outcomes.
#[derive(Default)]
struct ResponseTally {
    responses: i64,
    met: i64,
    judged: i64,
    durations: Vec<i64>,
}

impl ResponseTally {
    fn add(&mut self, business_ms: i64, met: Option<i64>) {
        self.responses += 1;
        self.durations.push(business_ms);
        if let Some(met) = met {
            self.judged += 1;
            if met != 0 {
                self.met += 1;
            }
        }
    }

    fn summary(&mut self, key: &str, name: &str) -> Value {
        self.durations.sort_unstable();
        let percentile = |p: f64| -> Option<f64> {
            if self.durations.is_empty() {
                return None;
            }
            let index = ((self.durations.len() - 1) as f64 * p).round() as usize;
            Some(self.durations[index] as f64 / 1000.0)
        };
        let mean = if self.durations.is_empty() {
            None
        } else {
            Some(self.durations.iter().sum::<i64>() as f64 / self.durations.len() as f64 / 1000.0)
        };
        json!({
            key: name, "responses": self.responses, "met": self.met, "judged": self.judged,
            "breached": self.judged - self.met,
            "compliance": if self.judged > 0 { Some(share(self.met, self.judged)) } else { None },
            "mean_seconds": mean, "median_seconds": percentile(0.5), "p90_seconds": percentile(0.9),
        })
    }
}

/// `GET /api/v1/analytics/sla?since=&until=` — SLA compliance and response times (business
/// time) by team and by agent, split into first and next responses, plus open backlog by team.
async fn sla(
    State(state): State<AppState>,
    actor: Actor,
    Query(params): Query<SliceParams>,
) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let (since, until) = window(&params)?;
    let mut conditions = Conditions::default();
    if let Some(since) = millis(since) {
        conditions.push("s.responded_at >= {}", Bind::Int(since));
    }
    if let Some(until) = millis(until) {
        conditions.push("s.responded_at < {}", Bind::Int(until));
    }
    if !matches!(actor.role, Role::Admin | Role::Analyst) {
        let placeholders: Vec<String> = actor
            .teams
            .iter()
            .map(|team| conditions.bind(Bind::Text(team.clone())))
            .collect();
        if placeholders.is_empty() {
            conditions.clauses.push("1 = 0".to_string());
        } else {
            conditions
                .clauses
                .push(format!("c.team IN ({})", placeholders.join(", ")));
        }
    }
    let sql = format!(
        "SELECT c.team, COALESCE(NULLIF(u.display_name, ''), u.username), s.kind, s.business_ms, s.met \
         FROM crm_sla_responses s JOIN crm_cases c ON c.id = s.case_id \
         LEFT JOIN crm_users u ON u.id = c.assignee_id {}",
        conditions.where_sql()
    );
    let backlog_sql = "SELECT team, COUNT(*), MIN(opened_at) FROM crm_cases \
         WHERE status NOT IN ('resolved', 'closed') GROUP BY team ORDER BY team";
    type Row = (String, Option<String>, String, i64, Option<i64>);
    type BacklogRow = (String, i64, Option<i64>);
    let (rows, backlog): (Vec<Row>, Vec<BacklogRow>) = on_db!(state.store.db(), |pool| {
        let rows = bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &conditions.binds)
            .fetch_all(pool)
            .await
            .map_err(db_error("reading SLA responses"))?;
        let backlog = sqlx::query_as(backlog_sql)
            .fetch_all(pool)
            .await
            .map_err(db_error("counting open cases"))?;
        (rows, backlog)
    });
    let mut by_team: BTreeMap<(String, String), ResponseTally> = BTreeMap::new();
    let mut by_agent: BTreeMap<(String, String), ResponseTally> = BTreeMap::new();
    let mut overall: BTreeMap<String, ResponseTally> = BTreeMap::new();
    for (team, agent, kind, business_ms, met) in rows {
        let agent = agent.unwrap_or_else(|| "(unassigned)".to_string());
        by_team
            .entry((team, kind.clone()))
            .or_default()
            .add(business_ms, met);
        by_agent
            .entry((agent, kind.clone()))
            .or_default()
            .add(business_ms, met);
        overall.entry(kind).or_default().add(business_ms, met);
    }
    let flatten = |map: &mut BTreeMap<(String, String), ResponseTally>, key: &str| -> Vec<Value> {
        map.iter_mut()
            .map(|((name, kind), tally)| {
                let mut value = tally.summary(key, name);
                value["kind"] = json!(kind);
                value
            })
            .collect()
    };
    let overall: Vec<Value> = overall
        .iter_mut()
        .map(|(kind, tally)| tally.summary("kind", kind))
        .collect();
    let visible_backlog: Vec<Value> = backlog
        .into_iter()
        .filter(|(team, ..)| actor.can_see_queue(team))
        .map(|(team, open, oldest)| {
            json!({"team": team, "open": open,
                   "oldest_at": oldest.and_then(DateTime::from_timestamp_millis).map(|t| t.to_rfc3339())})
        })
        .collect();
    Ok(Json(json!({
        "overall": overall,
        "by_team": flatten(&mut by_team, "team"),
        "by_agent": flatten(&mut by_agent, "agent"),
        "backlog": visible_backlog,
    })))
}

/// `GET /api/v1/analytics/queues` — the team queues at a glance: active cases, unassigned ones,
/// the longest a customer has been waiting, and cases whose SLA is about to breach or breached
/// during the current wait (from the CRM's SLA notices).
async fn queue_summary(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    // A notice counts while it is about the customer's current wait (or the resolution clock).
    let current = |kind: &str| {
        format!(
            "EXISTS (SELECT 1 FROM crm_sla_notices n WHERE n.case_id = c.id AND n.kind = '{kind}' \
             AND (n.metric = 'resolution' OR ((c.awaiting_since IS NOT NULL OR c.first_response_at IS NULL) \
             AND n.due_at >= COALESCE(c.awaiting_since, c.opened_at))))"
        )
    };
    let sql = format!(
        "SELECT c.team, COUNT(*), COUNT(CASE WHEN c.assignee_id IS NULL THEN 1 END), \
         MIN(COALESCE(c.awaiting_since, c.opened_at)), \
         COUNT(CASE WHEN {breached} THEN 1 END), \
         COUNT(CASE WHEN {at_risk} AND NOT {breached} THEN 1 END) \
         FROM crm_cases c WHERE c.status NOT IN ('resolved', 'closed') \
         GROUP BY c.team ORDER BY c.team",
        breached = current("breached"),
        at_risk = current("about_to_breach"),
    );
    type Row = (String, i64, i64, Option<i64>, i64, i64);
    let rows: Vec<Row> = on_db!(state.store.db(), |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .map_err(db_error("summing up queues"))?
    });
    let queues: Vec<Value> = rows
        .into_iter()
        .filter(|(team, ..)| actor.can_see_queue(team))
        .map(|(team, open, unassigned, oldest, breached, at_risk)| {
            json!({
                "queue": team, "open": open, "unassigned": unassigned,
                "oldest_at": oldest.and_then(DateTime::from_timestamp_millis).map(|t| t.to_rfc3339()),
                "breached": breached, "at_risk": at_risk,
            })
        })
        .collect();
    Ok(Json(json!({"queues": queues})))
}

/// `GET /api/v1/posts/{id}/case` — the case a post is linked to (`case_id` is null when none), so
/// the live stream and drill-downs can open it.
async fn post_case(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let found: Option<(i64, String)> = on_db!(state.store.db(), |pool| {
        sqlx::query_as(
            "SELECT cp.case_id, c.team FROM crm_case_posts cp \
             JOIN crm_cases c ON c.id = cp.case_id WHERE cp.post_id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(db_error("finding the case of a post"))?
    });
    let case_id = match found {
        Some((case_id, team)) if actor.can_see_queue(&team) => Some(case_id),
        Some(_) => {
            return Err(ApiError::forbidden(
                "this post's case is on another team's queue",
            ));
        }
        None => None,
    };
    Ok(Json(json!({"post_id": id, "case_id": case_id})))
}

/// Which way a mean VADER compound leans.
fn sentiment_bucket(compound: f64) -> &'static str {
    if compound >= 0.05 {
        "positive"
    } else if compound <= -0.05 {
        "negative"
    } else {
        "neutral"
    }
}

/// `GET /api/v1/analytics/surveys?since=&until=` — CSAT and NPS, and the same customers' social
/// sentiment: the survey figures per social-sentiment group, their correlation, and the customers
/// whose survey and public posts disagree most.
async fn surveys(
    State(state): State<AppState>,
    actor: Actor,
    Query(params): Query<SliceParams>,
) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let (since, until) = window(&params)?;
    let mut conditions = Conditions::default();
    if let Some(since) = millis(since) {
        conditions.push("s.responded_at >= {}", Bind::Int(since));
    }
    if let Some(until) = millis(until) {
        conditions.push("s.responded_at < {}", Bind::Int(until));
    }
    let sql = format!(
        "SELECT s.kind, s.score, s.customer_id, s.case_id, c.display_name \
         FROM crm_surveys s LEFT JOIN crm_customers c ON c.id = s.customer_id {}",
        conditions.where_sql()
    );
    let social_sql = "SELECT customer_id, CAST(AVG(sentiment) AS DOUBLE PRECISION), COUNT(*) \
         FROM crm_customer_posts WHERE sentiment IS NOT NULL GROUP BY customer_id";
    type SurveyRow = (String, i64, Option<i64>, Option<i64>, Option<String>);
    type SocialRow = (i64, Option<f64>, i64);
    let (responses, social): (Vec<SurveyRow>, Vec<SocialRow>) = on_db!(state.store.db(), |pool| {
        let responses = bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &conditions.binds)
            .fetch_all(pool)
            .await
            .map_err(db_error("reading survey responses"))?;
        let social = sqlx::query_as(social_sql)
            .fetch_all(pool)
            .await
            .map_err(db_error("averaging customers' social sentiment"))?;
        (responses, social)
    });
    let social: HashMap<i64, (f64, i64)> = social
        .into_iter()
        .filter_map(|(id, avg, n)| avg.map(|avg| (id, (avg, n))))
        .collect();
    #[derive(Default)]
    struct Group {
        csat_scores: Vec<i64>,
        nps_scores: Vec<i64>,
    }
    let csat_json = |scores: &[i64]| -> Value {
        if scores.is_empty() {
            return json!({"responses": 0, "mean": null, "satisfied_share": null});
        }
        let satisfied = scores.iter().filter(|&&s| s >= 4).count() as i64;
        json!({
            "responses": scores.len(),
            "mean": scores.iter().sum::<i64>() as f64 / scores.len() as f64,
            "satisfied_share": share(satisfied, scores.len() as i64),
        })
    };
    let nps_json = |scores: &[i64]| -> Value {
        if scores.is_empty() {
            return json!({"responses": 0, "score": null});
        }
        let n = scores.len() as i64;
        let promoters = scores.iter().filter(|&&s| s >= 9).count() as i64;
        let detractors = scores.iter().filter(|&&s| s <= 6).count() as i64;
        json!({
            "responses": n, "promoters": promoters, "passives": n - promoters - detractors,
            "detractors": detractors,
            "score": (share(promoters, n) - share(detractors, n)) * 100.0,
        })
    };
    let mut all = Group::default();
    let mut by_social: BTreeMap<&'static str, Group> = BTreeMap::new();
    let mut pairs: Vec<(f64, f64)> = Vec::new();
    let mut disagreements: Vec<(f64, Value)> = Vec::new();
    for (kind, score, customer_id, case_id, name) in &responses {
        let kind = kind.to_ascii_lowercase();
        let normalized = match kind.as_str() {
            "csat" => {
                all.csat_scores.push(*score);
                (*score as f64 - 3.0) / 2.0
            }
            "nps" => {
                all.nps_scores.push(*score);
                (*score as f64 - 5.0) / 5.0
            }
            _ => continue,
        };
        let Some(&(compound, posts)) = customer_id.and_then(|id| social.get(&id)) else {
            continue;
        };
        let group = by_social.entry(sentiment_bucket(compound)).or_default();
        if kind == "csat" {
            group.csat_scores.push(*score);
        } else {
            group.nps_scores.push(*score);
        }
        pairs.push((normalized, compound));
        let gap = (normalized - compound).abs();
        disagreements.push((
            gap,
            json!({"customer_id": customer_id, "name": name, "case_id": case_id, "kind": kind,
                   "score": score, "social_compound": compound, "social_posts": posts}),
        ));
    }
    disagreements.sort_by(|a, b| b.0.total_cmp(&a.0));
    let groups: Vec<Value> = ["negative", "neutral", "positive"]
        .iter()
        .map(|bucket| {
            let group = by_social.remove(bucket).unwrap_or_default();
            json!({"social": bucket, "csat": csat_json(&group.csat_scores), "nps": nps_json(&group.nps_scores)})
        })
        .collect();
    let agreeing = pairs
        .iter()
        .filter(|(survey, social)| {
            sentiment_bucket(*survey) == sentiment_bucket(*social)
                || (survey.abs() < 0.05 && social.abs() < 0.05)
        })
        .count();
    Ok(Json(json!({
        "csat": csat_json(&all.csat_scores),
        "nps": nps_json(&all.nps_scores),
        "matched_customers": pairs.len(),
        "correlation": pearson(&pairs),
        "agreement": if pairs.is_empty() { None } else { Some(agreeing as f64 / pairs.len() as f64) },
        "by_social_sentiment": groups,
        "points": pairs.iter().take(1_000).map(|(s, c)| json!([s, c])).collect::<Vec<_>>(),
        "disagreements": disagreements.into_iter().take(20).map(|(_, v)| v).collect::<Vec<_>>(),
    })))
}

/// Pearson correlation of paired values; `None` with fewer than three pairs or no spread.
pub fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 3 {
        return None;
    }
    let n = pairs.len() as f64;
    let mean_x = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mean_x) * (y - mean_y);
        sxx += (x - mean_x).powi(2);
        syy += (y - mean_y).powi(2);
    }
    if sxx <= f64::EPSILON || syy <= f64::EPSILON {
        return None;
    }
    Some(sxy / (sxx.sqrt() * syy.sqrt()))
}

/// `GET /api/v1/analytics/voice?since=&until=` — complaints, glitches, feature requests and hints
/// logged by agents, by owning team and kind.
async fn voice(
    State(state): State<AppState>,
    actor: Actor,
    Query(params): Query<SliceParams>,
) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let (since, until) = window(&params)?;
    let mut conditions = Conditions::default();
    if let Some(since) = millis(since) {
        conditions.push("created_at >= {}", Bind::Int(since));
    }
    if let Some(until) = millis(until) {
        conditions.push("created_at < {}", Bind::Int(until));
    }
    let sql = format!(
        "SELECT team, kind, COUNT(*) FROM crm_voice {} GROUP BY team, kind ORDER BY team, kind",
        conditions.where_sql()
    );
    let rows: Vec<(String, String, i64)> = on_db!(state.store.db(), |pool| {
        bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &conditions.binds)
            .fetch_all(pool)
            .await
            .map_err(db_error("counting agents' voice"))?
    });
    let items: Vec<Value> = rows
        .into_iter()
        .map(|(team, kind, count)| json!({"team": team, "kind": kind, "count": count}))
        .collect();
    Ok(Json(json!({"items": items})))
}

/// The posts behind a figure: SQL filters first, then the listening query (if any), newest first.
async fn drill(
    state: &AppState,
    actor: &Actor,
    params: &SliceParams,
    default_limit: usize,
) -> ApiResult<(Vec<StoredPost>, bool)> {
    let limit = params.limit.unwrap_or(default_limit).clamp(1, MAX_EXPORT);
    let conditions = post_conditions(params, actor)?;
    let matcher = match non_empty(&params.q) {
        Some(text) => Some(compile_query("q", text)?),
        None => None,
    };
    let page = if matcher.is_some() { 2_000 } else { limit };
    let mut found: Vec<StoredPost> = Vec::new();
    let mut before: Option<i64> = None;
    let mut scanned = 0usize;
    loop {
        let mut page_conditions = Conditions {
            clauses: conditions.clauses.clone(),
            binds: conditions.binds.clone(),
        };
        if let Some(before) = before {
            page_conditions.push("p.id < {}", Bind::Int(before));
        }
        let sql = format!(
            "SELECT p.id {FROM_POSTS} {} ORDER BY p.id DESC LIMIT {page}",
            page_conditions.where_sql()
        );
        let ids: Vec<i64> = on_db!(state.store.db(), |pool| {
            bind_all!(
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql)),
                &page_conditions.binds
            )
            .fetch_all(pool)
            .await
            .map_err(db_error("selecting posts"))?
        });
        let exhausted = ids.len() < page;
        before = ids.last().copied();
        scanned += ids.len();
        let mut posts = state
            .store
            .get_posts(&ids)
            .await
            .map_err(|error| ApiError::internal("reading posts", error))?;
        posts.sort_by_key(|p| std::cmp::Reverse(p.post.id));
        for stored in posts {
            if let Some(matcher) = &matcher {
                let view =
                    switchyard_query::PostView::with_analysis(&stored.post.post, &stored.analysis);
                if !matcher.matches(&view) {
                    continue;
                }
            }
            found.push(stored);
            if found.len() >= limit {
                return Ok((found, !exhausted));
            }
        }
        if exhausted || matcher.is_none() {
            return Ok((found, false));
        }
        if scanned >= MAX_SCAN {
            return Ok((found, true));
        }
    }
}

/// `GET /api/v1/analytics/posts?<filters>&field=&value=&q=&limit=` — the posts behind a chart
/// element, newest first, as the posts API shows them.
async fn drill_posts(
    State(state): State<AppState>,
    actor: Actor,
    Query(params): Query<SliceParams>,
) -> ApiResult<Json<Value>> {
    actor.require_read()?;
    let (posts, more) = drill(&state, &actor, &params, 50).await?;
    let items: Vec<PostView> = posts.into_iter().map(PostView::from).collect();
    Ok(Json(json!({"items": items, "more": more})))
}

/// `GET /api/v1/analytics/export.csv?<same filters as /analytics/posts>` — the posts behind a
/// figure as CSV (up to 10,000 rows), one row per post with its analysis and route.
async fn export_csv(
    State(state): State<AppState>,
    actor: Actor,
    Query(params): Query<SliceParams>,
) -> ApiResult<impl IntoResponse> {
    actor.require_read()?;
    let (posts, _) = drill(&state, &actor, &params, MAX_EXPORT).await?;
    let csv = posts_csv(&posts);
    let name = format!(
        "switchyard-posts-{}.csv",
        Utc::now().format("%Y%m%d-%H%M%S")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        csv,
    ))
}

/// Quotes one CSV cell when it needs it; cells that a spreadsheet would run as a formula get a
/// leading apostrophe.
fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) && value.parse::<f64>().is_err() {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The CSV text of a list of posts (header row first, CRLF line ends).
pub fn posts_csv(posts: &[StoredPost]) -> String {
    let mut out = String::from(
        "id,created_at,channel,external_id,author,followers,verified,visibility,language,sentiment,compound,intent,reason,urgency,queue,priority,likes,shares,replies,views,permalink,text\r\n",
    );
    for stored in posts {
        let post = &stored.post.post;
        let analysis = &stored.analysis;
        let label = |task: &str| analysis.label(task).unwrap_or("").to_string();
        let cells = [
            stored.post.id.to_string(),
            post.created_at.to_rfc3339(),
            post.channel.as_str().to_string(),
            post.external_id.clone(),
            post.author.handle.clone(),
            post.author
                .followers
                .map(|f| f.to_string())
                .unwrap_or_default(),
            post.author.verified.to_string(),
            post.visibility.as_str().to_string(),
            analysis.language.to_string(),
            analysis.sentiment.label.to_string(),
            format!("{:.4}", analysis.sentiment.vader.compound),
            label("intent"),
            label("reason"),
            label("urgency"),
            stored.route.queue.clone(),
            stored.route.priority.as_str().to_string(),
            post.engagement.likes.to_string(),
            post.engagement.shares.to_string(),
            post.engagement.replies.to_string(),
            post.engagement
                .views
                .map(|v| v.to_string())
                .unwrap_or_default(),
            post.permalink.clone().unwrap_or_default(),
            post.text.clone(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The analytics operations for the OpenAPI document.
pub fn describe(doc: &mut crate::openapi::ApiDoc) {
    use crate::openapi::Access;
    let window = "RFC 3339 time or YYYY-MM-DD";
    doc.op(
        "get",
        "/api/v1/analytics/top",
        "analytics",
        Access::Read,
        "Top values of a field (reason, intent, channel, language…) in a time window.",
    )
    .query(
        "field",
        "reason, intent, channel, language, sentiment, urgency, queue",
    )
    .query("since", window)
    .query("until", window);
    doc.op(
        "get",
        "/api/v1/analytics/topics",
        "analytics",
        Access::Read,
        "Emerging topics: words rising against the previous window.",
    )
    .query("since", window);
    doc.op(
        "get",
        "/api/v1/analytics/share-of-voice",
        "analytics",
        Access::Read,
        "Share of voice across saved or given listening queries.",
    )
    .query("queries", "comma-separated saved query names")
    .query("since", window);
    doc.op(
        "get",
        "/api/v1/analytics/authors",
        "analytics",
        Access::Read,
        "Top authors by reach.",
    )
    .query("since", window)
    .query("limit", "how many");
    doc.op("get", "/api/v1/analytics/participation", "analytics", Access::Read, "Participation inequality: share of posts by the top 1% of authors, Gini, read-only audience where views are reported.")
        .query("since", window);
    doc.op(
        "get",
        "/api/v1/analytics/sla",
        "analytics",
        Access::Read,
        "SLA compliance and response times by team and agent.",
    )
    .query("since", window);
    doc.op(
        "get",
        "/api/v1/analytics/surveys",
        "analytics",
        Access::Read,
        "CSAT/NPS against the same customers' social sentiment.",
    )
    .query("since", window);
    doc.op(
        "get",
        "/api/v1/analytics/voice",
        "analytics",
        Access::Read,
        "Agent-logged complaints, glitches, requests and hints, counted by team and kind.",
    )
    .query("since", window);
    doc.op(
        "get",
        "/api/v1/analytics/posts",
        "analytics",
        Access::Read,
        "Drill-down: the posts behind a chart's bar or point.",
    )
    .query("since", window)
    .query("until", window);
    doc.op(
        "get",
        "/api/v1/analytics/export.csv",
        "analytics",
        Access::Read,
        "The drill-down posts as CSV.",
    )
    .query("since", window)
    .query("until", window);
    doc.op(
        "get",
        "/api/v1/analytics/queues",
        "analytics",
        Access::Read,
        "Queue summary: waiting, at risk and breached cases per team.",
    );
    doc.op(
        "get",
        "/api/v1/posts/{id}/case",
        "posts",
        Access::Read,
        "The case a post belongs to, if any.",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_author_writing_everything_is_maximally_unequal() {
        let mut counts = vec![1; 99];
        counts.push(901);
        let figures = inequality(counts);
        assert_eq!(figures.authors, 100);
        assert_eq!(figures.posts, 1000);
        assert!((figures.top1_share - 0.901).abs() < 1e-9);
        assert!(figures.gini > 0.85, "gini {}", figures.gini);
        assert_eq!(figures.lorenz.first(), Some(&(0.0, 0.0)));
        assert_eq!(figures.lorenz.last(), Some(&(1.0, 1.0)));
    }

    #[test]
    fn equal_participation_has_zero_gini() {
        let figures = inequality(vec![3; 50]);
        assert!(figures.gini.abs() < 1e-9);
        assert!((figures.top10_share - 0.1).abs() < 1e-9);
        assert_eq!(figures.one_post_share, 0.0);
    }

    #[test]
    fn empty_participation_is_zero() {
        let figures = inequality(vec![]);
        assert_eq!(figures.authors, 0);
        assert_eq!(figures.gini, 0.0);
    }

    #[test]
    fn queries_split_on_top_level_commas_only() {
        assert_eq!(
            split_queries(r#"acme, "foo, bar" OR baz ,(a, b)"#),
            vec!["acme", r#""foo, bar" OR baz"#, "(a, b)"]
        );
        assert!(split_queries(" , ").is_empty());
    }

    #[test]
    fn topic_terms_skip_noise() {
        let terms = topic_terms(
            "The TRACKING page rejects my number 12345 https://x.y @acme #Outage again",
        );
        assert!(terms.contains("tracking"));
        assert!(terms.contains("rejects"));
        assert!(terms.contains("#outage"));
        assert!(!terms.contains("12345"));
        assert!(!terms.contains("again"));
        assert!(
            !terms
                .iter()
                .any(|t| t.contains("acme") || t.contains("http"))
        );
    }

    #[test]
    fn a_new_word_emerges_against_its_baseline() {
        let recent: Vec<String> = (0..20)
            .map(|i| {
                if i % 2 == 0 {
                    "tracking page broken".to_string()
                } else {
                    "lovely flight crew".to_string()
                }
            })
            .collect();
        let baseline: Vec<String> = (0..100).map(|_| "lovely flight crew".to_string()).collect();
        let items = emerging_terms(&recent, &baseline, 3, 5);
        let terms: Vec<&str> = items.iter().map(|v| v["term"].as_str().unwrap()).collect();
        assert!(terms.contains(&"tracking"), "{terms:?}");
        assert!(!terms.contains(&"lovely"), "{terms:?}");
    }

    #[test]
    fn pearson_sees_agreement() {
        let pairs = [(1.0, 0.8), (0.0, 0.1), (-1.0, -0.7), (0.5, 0.4)];
        assert!(pearson(&pairs).unwrap() > 0.9);
        assert_eq!(pearson(&pairs[..2]), None);
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_cell("-0.5"), "-0.5");
    }
}
