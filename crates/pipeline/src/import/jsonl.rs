//! The canonical JSONL format: one `switchyard_domain::NewPost` JSON object per line.

use super::documents::{Line, Lines};
use super::{ImportItem, Rejected};
use std::io::BufRead;
use switchyard_domain::NewPost;

/// Reads canonical JSON lines; blank lines are skipped, each bad line is one rejection.
pub(crate) struct JsonlReader<R> {
    lines: Lines<R>,
}

impl<R: BufRead> JsonlReader<R> {
    pub(crate) fn new(reader: R) -> Self {
        JsonlReader {
            lines: Lines::new(reader),
        }
    }
}

impl<R: BufRead> Iterator for JsonlReader<R> {
    type Item = ImportItem;

    fn next(&mut self) -> Option<ImportItem> {
        loop {
            match self.lines.next()? {
                Line::Bad { rejected, .. } => return Some(Err(rejected)),
                Line::Text(number, text) => {
                    if text.trim().is_empty() {
                        continue;
                    }
                    return Some(parse_line(number, &text));
                }
            }
        }
    }
}

fn parse_line(number: u64, text: &str) -> ImportItem {
    let post: NewPost = serde_json::from_str(text).map_err(|error| {
        Rejected::new(
            number,
            format!(
                "not a canonical post at column {}: {error} (see docs/import.md for the fields)",
                error.column()
            ),
        )
    })?;
    validate(post).map_err(|reason| Rejected::new(number, reason))
}

/// Checks what serde cannot: identifiers and text must not be blank.
pub(crate) fn validate(mut post: NewPost) -> Result<NewPost, String> {
    post.external_id = post.external_id.trim().to_string();
    if post.external_id.is_empty() {
        return Err("external_id is empty; every post needs the id its channel gave it".into());
    }
    if post.author.handle.trim().is_empty() {
        return Err(format!(
            "post {}: author.handle is empty; give the author's handle on the channel",
            post.external_id
        ));
    }
    if post.text.trim().is_empty() {
        return Err(format!(
            "post {}: text is empty; there is nothing to analyse",
            post.external_id
        ));
    }
    Ok(post)
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_domain::Channel;

    #[test]
    fn reads_minimal_and_full_lines_and_rejects_bad_ones() {
        let input = concat!(
            r#"{"channel":"x","external_id":"1","author":{"handle":"amy"},"text":"late again","created_at":"2026-01-01T00:00:00Z"}"#,
            "\n\n",
            r#"{"channel":"myspace","external_id":"2","author":{"handle":"b"},"text":"x","created_at":"2026-01-01T00:00:00Z"}"#,
            "\n",
            r#"{"channel":"x","external_id":"  ","author":{"handle":"b"},"text":"x","created_at":"2026-01-01T00:00:00Z"}"#,
            "\n",
            r#"{"channel":"email","external_id":"<m@x>","author":{"handle":"c@x.org","followers":3},"text":"hello","created_at":"2026-01-01T10:00:00+02:00","visibility":"private"}"#,
            "\r\n"
        );
        let items: Vec<_> = JsonlReader::new(input.as_bytes()).collect();
        assert_eq!(items.len(), 4);
        assert_eq!(items[0].as_ref().unwrap().channel, Channel::X);
        let bad_channel = items[1].as_ref().unwrap_err();
        assert_eq!(bad_channel.line, 3);
        assert!(bad_channel.reason.contains("myspace"), "{bad_channel:?}");
        assert_eq!(items[2].as_ref().unwrap_err().line, 4);
        let email = items[3].as_ref().unwrap();
        assert_eq!(email.created_at.to_rfc3339(), "2026-01-01T08:00:00+00:00");
        assert_eq!(email.author.followers, Some(3));
    }
}
