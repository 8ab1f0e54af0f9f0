//! JSON views of stored data as the API returns them: a post is one flat object with its
//! analysis, route and corrections beside the post's own fields.

use serde::Serialize;
use switchyard_domain::{Analysis, Post, RouteDecision};
use switchyard_store::{Correction, StoredPost};

/// A stored post as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PostView {
    #[serde(flatten)]
    pub post: Post,
    pub analysis: Analysis,
    pub route: RouteDecision,
    pub corrections: Vec<Correction>,
}

impl From<StoredPost> for PostView {
    fn from(stored: StoredPost) -> Self {
        PostView {
            post: stored.post,
            analysis: stored.analysis,
            route: stored.route,
            corrections: stored.corrections,
        }
    }
}

/// Parses an optional RFC 3339 time or `YYYY-MM-DD` date (midnight UTC) from a query parameter.
pub fn parse_time(
    name: &str,
    value: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, crate::ApiError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if let Some(time) = switchyard_domain::time::parse_time_or_date(value) {
        return Ok(Some(time));
    }
    Err(crate::ApiError::bad_request(format!(
        "{name}={value:?} is not a time; use RFC 3339 (2026-11-23T08:00:00Z) or a date (2026-11-23)"
    )))
}
