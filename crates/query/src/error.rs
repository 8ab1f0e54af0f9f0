//! The one error a query can produce: where (character offset), what was expected, what was found,
//! shown with the query and a caret under the offending character.

use std::fmt;

/// A query that could not be parsed.
///
/// `Display` prints, e.g.:
///
/// ```text
/// invalid query at character 9: expected a term or "(" after AND, found end of query
///   delta AND
///            ^
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct QueryError {
    /// Offset of the problem in characters (not bytes) from the start of the query.
    pub position: usize,
    /// What the parser expected there, including how to fix it where that helps.
    pub expected: String,
    /// What it found instead (`end of query`, `")"`, `unknown field "foo:"`…).
    pub found: String,
    /// The query text, so the error can show where the problem is.
    pub query: String,
}

impl QueryError {
    pub(crate) fn new(
        query: &str,
        position: usize,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        QueryError {
            position,
            expected: expected.into(),
            found: found.into(),
            query: query.to_string(),
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "invalid query at character {}: expected {}, found {}",
            self.position, self.expected, self.found
        )?;
        // Control characters would break the alignment of the caret; show them as spaces.
        let shown: String = self
            .query
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        writeln!(f, "  {shown}")?;
        write!(f, "  {}^", " ".repeat(self.position))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_sits_under_the_position() {
        let error = QueryError::new("delta AND", 9, "a term or \"(\" after AND", "end of query");
        let shown = error.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(
            lines[0],
            "invalid query at character 9: expected a term or \"(\" after AND, found end of query"
        );
        assert_eq!(lines[1], "  delta AND");
        assert_eq!(lines[2], "           ^");
    }
}
