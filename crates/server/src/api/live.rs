//! The live stream: server-sent events of posts as they are stored, optionally filtered by a
//! listening query. Each event's id is the post id; a client that reconnects with
//! `Last-Event-ID` first receives what it missed (up to 1,000 posts), so pausing or a dropped
//! connection loses nothing.

use crate::api::posts::parse_query;
use crate::api::views::PostView;
use crate::auth::Actor;
use crate::openapi::{Access, ApiDoc};
use crate::{ApiError, ApiResult, AppState};
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use switchyard_domain::PostId;
use switchyard_query::{Matcher, PostView as MatchView};
use switchyard_store::PostFilter;
use tokio::sync::broadcast::error::RecvError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/live", get(live))
}

pub fn describe(doc: &mut ApiDoc) {
    doc.op("get", "/api/v1/live", "live", Access::Read,
        "Server-sent events: `post` events (data = Post JSON, id = post id) as posts arrive; `lagged` when the client fell behind (refetch). Send Last-Event-ID to resume.")
        .query("q", "only posts matching this listening query");
}

#[derive(Deserialize)]
struct LiveParams {
    q: Option<String>,
}

fn post_event(view: &PostView) -> Event {
    Event::default()
        .event("post")
        .id(view.post.id.to_string())
        .json_data(view)
        .unwrap_or_else(|_| {
            Event::default()
                .event("error")
                .data("could not encode a post")
        })
}

async fn live(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    params: Result<Query<LiveParams>, QueryRejection>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    actor.require_read()?;
    let Query(params) = params?;
    let matcher: Option<Matcher> = match params.q.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => Some(parse_query(text)?.compile()),
        _ => None,
    };
    // Subscribe before reading the backlog so nothing falls between the two.
    let receiver = state.pipeline.subscribe();
    let last_seen: Option<PostId> = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse().ok());
    let mut backlog: Vec<PostView> = Vec::new();
    if let Some(last) = last_seen {
        let page = state
            .store
            .list_posts(&PostFilter {
                limit: Some(PostFilter::MAX_LIMIT),
                ..PostFilter::default()
            })
            .await
            .map_err(|error| ApiError::internal("reading missed posts", error))?;
        backlog = page
            .items
            .into_iter()
            .filter(|stored| stored.post.id > last)
            .map(PostView::from)
            .collect();
        backlog.reverse(); // oldest first
    }
    let matches = move |view: &PostView, matcher: &Option<Matcher>| -> bool {
        actor.can_see_queue(&view.route.queue)
            && matcher.as_ref().is_none_or(|m| {
                m.matches(&MatchView {
                    post: &view.post.post,
                    analysis: Some(&view.analysis),
                })
            })
    };
    let backlog_events: Vec<Result<Event, Infallible>> = backlog
        .iter()
        .filter(|view| matches(view, &matcher))
        .map(|view| Ok(post_event(view)))
        .collect();
    let newest_sent = backlog.last().map(|v| v.post.id).or(last_seen).unwrap_or(0);
    let live = stream::unfold(
        (receiver, matcher, newest_sent),
        move |(mut receiver, matcher, newest_sent)| {
            let matches = matches.clone();
            async move {
                loop {
                    match receiver.recv().await {
                        Ok(live_post) => {
                            let view = PostView::from(live_post.as_ref().clone());
                            if view.post.id <= newest_sent || !matches(&view, &matcher) {
                                continue;
                            }
                            let event = post_event(&view);
                            return Some((Ok(event), (receiver, matcher, view.post.id)));
                        }
                        Err(RecvError::Lagged(missed)) => {
                            let event = Event::default().event("lagged").data(format!(
                                "{missed} posts were skipped; refetch /api/v1/posts"
                            ));
                            return Some((Ok(event), (receiver, matcher, newest_sent)));
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        },
    );
    let stream = stream::iter(backlog_events).chain(live);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
