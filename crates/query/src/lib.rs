//! Switchyard's Boolean listening-query language: AST, parser with positioned errors, a compiled
//! per-post matcher and a `QuerySet` that runs many queries over each post behind a prefilter that
//! looks up the post's tokens. Grammar and semantics: `docs/queries.md`.
//!
//! ```
//! let query = switchyard_query::parse(r#"delta (late OR delay*) -"on time" lang:en"#).unwrap();
//! println!("{}", query.expr);
//! ```

pub mod ast;
pub mod error;
pub mod matcher;
pub mod parser;
pub mod set;
pub mod tokenize;

pub use ast::{CountRange, Expr, FieldFilter, HasFeature, LabelTask, PostFlag, Query};
pub use error::QueryError;
pub use matcher::{Matcher, PostView, PreparedPost};
pub use parser::parse;
pub use set::QuerySet;

impl std::str::FromStr for Query {
    type Err = QueryError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse(input)
    }
}
