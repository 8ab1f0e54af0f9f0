//! Text primitives for Switchyard: VADER sentiment faithful to the reference implementation,
//! fast language detection and a lowercase word tokenizer. No I/O, no async, no allocation-heavy
//! hot paths: these run on every post.

pub mod ascii_runs;
pub mod language;
pub mod tokens;
pub mod vader;
mod word_map;

pub use language::{Detected, detect};
pub use tokens::{Token, TokenKind, tokenize};
pub use vader::{Vader, VaderDetails, WordValence};
