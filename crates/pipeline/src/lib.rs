//! Switchyard's pipeline: bulk import formats, routing rules and the ingest flow
//! (analyze → route → store → index → broadcast).
//!
//! - [`import`]: files → `NewPost`s (canonical JSONL, mapped CSV and presets, X API v2, Mastodon).
//! - [`route`]: the TOML rules file → [`route::RuleSet`] → `RouteDecision`s; rule tests; back-tests.
//! - [`ingest`]: [`Pipeline`], the one path every post takes into the store.

pub mod import;
pub mod ingest;
pub mod route;
pub mod text_position;

pub use ingest::{
    HookFuture, ImportReport, IngestOutcome, LivePost, NoOwnReplies, OwnReplies, Pipeline,
    PipelineError, PostHook, Progress,
};
