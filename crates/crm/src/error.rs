//! The CRM's one error type: what went wrong and what to do about it, mapped to HTTP by the server.

use crate::access::Denied;

/// Everything a CRM operation can fail with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrmError {
    /// The actor may not do this (anonymous → 401, wrong team or role → 403).
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request itself is wrong (bad value, missing field, impossible transition).
    #[error("{0}")]
    Invalid(String),
    /// The request clashes with the current state (duplicate name, already merged…).
    #[error("{0}")]
    Conflict(String),
    /// Configuration that cannot work (unknown calendar, bad time of day…).
    #[error("configuration error: {0}")]
    Config(String),
    /// The database failed; the message says where.
    #[error("{0}")]
    Database(String),
}

impl CrmError {
    /// A short machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            CrmError::Denied(Denied::Unauthenticated) => "unauthenticated",
            CrmError::Denied(Denied::Forbidden(_)) => "forbidden",
            CrmError::NotFound(_) => "not_found",
            CrmError::Invalid(_) => "invalid",
            CrmError::Conflict(_) => "conflict",
            CrmError::Config(_) => "config",
            CrmError::Database(_) => "database",
        }
    }

    /// The HTTP status this error maps to.
    pub fn http_status(&self) -> u16 {
        match self {
            CrmError::Denied(Denied::Unauthenticated) => 401,
            CrmError::Denied(Denied::Forbidden(_)) => 403,
            CrmError::NotFound(_) => 404,
            CrmError::Invalid(_) => 400,
            CrmError::Conflict(_) => 409,
            CrmError::Config(_) | CrmError::Database(_) => 500,
        }
    }
}

/// Shorthand for CRM results.
pub type CrmResult<T> = Result<T, CrmError>;
