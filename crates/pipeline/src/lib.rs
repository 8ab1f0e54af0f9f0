//! Switchyard's pipeline: bulk import formats, routing rules and the ingest flow
//! (analyze → route → store → index → broadcast).

pub mod import;
pub mod text_position;
