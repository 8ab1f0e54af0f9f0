//! Who is asking: the `Actor` extractor every endpoint takes, and the `Authenticator` that turns a
//! request's credentials (bearer token, session cookie) into an actor.
//!
//! The server does not know where users live: `AppState::auth` is any [`Authenticator`]. The CRM
//! (users, teams, roles, sessions, API tokens) provides the real one; [`StaticTokens`] serves
//! deployments configured with fixed API tokens only.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;

/// What a caller may do, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything, writes nothing.
    Analyst,
    /// Works the queues of their teams.
    Agent,
    /// Manages their teams: rules, approvals, assignment.
    Lead,
    /// Everything, including users and configuration.
    Admin,
}

/// An authenticated caller.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
    /// Team queues this actor works; admins and analysts see all queues regardless.
    pub teams: Vec<String>,
}

impl Actor {
    /// Reading posts, search, analytics: every signed-in role.
    pub fn require_read(&self) -> Result<(), ApiError> {
        Ok(())
    }

    /// Writing anything (ingest, corrections…): every role but analyst.
    pub fn require_write(&self) -> Result<(), ApiError> {
        if self.role == Role::Analyst {
            return Err(ApiError::forbidden(
                "analysts have read-only access; ask a lead or admin to make this change",
            ));
        }
        Ok(())
    }

    /// Lead or admin.
    pub fn require_lead(&self) -> Result<(), ApiError> {
        if self.role < Role::Lead {
            return Err(ApiError::forbidden("this needs a lead or an admin"));
        }
        Ok(())
    }

    /// Admin only.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role != Role::Admin {
            return Err(ApiError::forbidden("this needs an admin"));
        }
        Ok(())
    }

    /// Whether this actor may see and act on a team queue.
    pub fn can_see_queue(&self, queue: &str) -> bool {
        matches!(self.role, Role::Admin | Role::Analyst) || self.teams.iter().any(|t| t == queue)
    }
}

/// A boxed future, so authenticators can be trait objects.
pub type AuthFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Actor>, ApiError>> + Send + 'a>>;

/// Turns request credentials into an actor; `Ok(None)` means "no valid credentials" (→ 401).
pub trait Authenticator: Send + Sync + 'static {
    fn authenticate<'a>(&'a self, headers: &'a HeaderMap) -> AuthFuture<'a>;
}

/// Fixed API tokens from configuration (`[server] api_tokens`), each with a name and role.
#[derive(Debug, Clone, Default)]
pub struct StaticTokens {
    tokens: Vec<(String, Actor)>,
}

impl StaticTokens {
    pub fn new() -> Self {
        Self::default()
    }

    /// Accept `token` as `actor`.
    pub fn with(mut self, token: impl Into<String>, actor: Actor) -> Self {
        self.tokens.push((token.into(), actor));
        self
    }
}

/// The bearer token of a request, if any.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Authenticator for StaticTokens {
    fn authenticate<'a>(&'a self, headers: &'a HeaderMap) -> AuthFuture<'a> {
        Box::pin(async move {
            let Some(token) = bearer_token(headers) else {
                return Ok(None);
            };
            Ok(self
                .tokens
                .iter()
                .find(|(known, _)| constant_time_eq(known.as_bytes(), token.as_bytes()))
                .map(|(_, actor)| actor.clone()))
        })
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match state.auth.authenticate(&parts.headers).await? {
            Some(actor) => Ok(actor),
            None => Err(ApiError::unauthenticated()),
        }
    }
}
