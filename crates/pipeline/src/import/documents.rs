//! Shared plumbing for the line- and document-oriented JSON formats: numbered lines that survive
//! bad UTF-8, and a reader that accepts one JSON document, several, or one per line.

use super::{ImportItem, Rejected};
use serde_json::Value;
use std::collections::VecDeque;
use std::io::BufRead;

/// One line of input, numbered from 1, with the line terminator removed.
pub(crate) enum Line {
    Text(u64, String),
    /// The line could not be read (bad UTF-8, I/O error); `fatal` ends the stream.
    Bad {
        rejected: Rejected,
        fatal: bool,
    },
}

/// Reads numbered lines; invalid UTF-8 rejects one line, an I/O error ends the stream.
pub(crate) struct Lines<R> {
    reader: R,
    line_number: u64,
    buffer: Vec<u8>,
    done: bool,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(reader: R) -> Self {
        Lines {
            reader,
            line_number: 0,
            buffer: Vec::with_capacity(1024),
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        if self.done {
            return None;
        }
        self.buffer.clear();
        let read = match self.reader.read_until(b'\n', &mut self.buffer) {
            Ok(read) => read,
            Err(error) => {
                self.done = true;
                return Some(Line::Bad {
                    rejected: Rejected::new(
                        self.line_number + 1,
                        format!("read error, nothing after this line was read: {error}"),
                    ),
                    fatal: true,
                });
            }
        };
        if read == 0 {
            self.done = true;
            return None;
        }
        self.line_number += 1;
        while matches!(self.buffer.last(), Some(b'\n' | b'\r')) {
            self.buffer.pop();
        }
        match std::str::from_utf8(&self.buffer) {
            Ok(text) => Some(Line::Text(self.line_number, text.to_string())),
            Err(error) => Some(Line::Bad {
                rejected: Rejected::new(
                    self.line_number,
                    format!(
                        "invalid UTF-8 at byte {} of the line; save the file as UTF-8",
                        error.valid_up_to() + 1
                    ),
                ),
                fatal: false,
            }),
        }
    }
}

/// Turns one JSON document (found at `line`) into posts and rejections.
pub(crate) type Converter = fn(Value, u64) -> Vec<ImportItem>;

enum Mode<R> {
    /// Not yet decided: the first non-blank line tells.
    Start(Lines<R>),
    /// One JSON document per line.
    PerLine(Lines<R>),
    /// Everything was one (or several concatenated) pretty-printed document(s), already parsed.
    Whole(VecDeque<(u64, Result<Value, String>)>),
    Done,
}

/// Posts from JSON documents: a single (pretty-printed) document, concatenated documents, or one
/// document per line (JSON lines). Each document goes through a [`Converter`].
pub(crate) struct DocumentPosts<R> {
    mode: Mode<R>,
    pending: VecDeque<ImportItem>,
    convert: Converter,
}

impl<R: BufRead> DocumentPosts<R> {
    pub(crate) fn new(reader: R, convert: Converter) -> Self {
        DocumentPosts {
            mode: Mode::Start(Lines::new(reader)),
            pending: VecDeque::new(),
            convert,
        }
    }

    /// Parses the first non-blank line; if it is not a whole document, reads the rest and parses
    /// the lot as a stream of documents.
    fn start(&mut self, mut lines: Lines<R>) {
        let mut consumed = String::new();
        let first_line: u64;
        loop {
            match lines.next() {
                None => {
                    self.mode = Mode::Done;
                    return;
                }
                Some(Line::Bad { rejected, fatal }) => {
                    self.pending.push_back(Err(rejected));
                    if fatal {
                        self.mode = Mode::Done;
                        return;
                    }
                    // A bad line before the first document: the rest can still be lines.
                    self.mode = Mode::PerLine(lines);
                    return;
                }
                Some(Line::Text(number, text)) => {
                    if text.trim().is_empty() {
                        consumed.push_str(&text);
                        consumed.push('\n');
                        continue;
                    }
                    match serde_json::from_str::<Value>(&text) {
                        Ok(value) => {
                            let items = (self.convert)(value, number);
                            self.pending.extend(items);
                            self.mode = Mode::PerLine(lines);
                            return;
                        }
                        Err(_) => {
                            first_line = number - count_newlines(consumed.as_bytes());
                            consumed.push_str(&text);
                            consumed.push('\n');
                            break;
                        }
                    }
                }
            }
        }
        // Multi-line document(s): read everything that is left.
        for line in lines.by_ref() {
            match line {
                Line::Text(_, text) => {
                    consumed.push_str(&text);
                    consumed.push('\n');
                }
                Line::Bad { rejected, .. } => {
                    self.pending.push_back(Err(Rejected::new(
                        rejected.line,
                        format!(
                            "{}; the JSON document containing it was not read",
                            rejected.reason
                        ),
                    )));
                    self.mode = Mode::Done;
                    return;
                }
            }
        }
        self.mode = Mode::Whole(parse_documents(consumed.as_bytes(), first_line));
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

/// Parses concatenated JSON documents; each comes with the line it starts on. A syntax error ends
/// the list (the position is in the message).
fn parse_documents(bytes: &[u8], first_line: u64) -> VecDeque<(u64, Result<Value, String>)> {
    let mut documents = VecDeque::new();
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
    let mut offset = 0usize;
    loop {
        let start_offset = offset
            + bytes[offset..]
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(bytes.len() - offset);
        let start_line = first_line + count_newlines(&bytes[..start_offset]);
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                offset = stream.byte_offset();
                documents.push_back((start_line, Ok(value)));
            }
            Some(Err(error)) => {
                let line = first_line + error.line() as u64 - 1;
                documents.push_back((
                    line,
                    Err(format!(
                        "invalid JSON at line {line}, column {}: {error}; the rest of the file was not read",
                        error.column()
                    )),
                ));
                break;
            }
        }
    }
    documents
}

impl<R: BufRead> Iterator for DocumentPosts<R> {
    type Item = ImportItem;

    fn next(&mut self) -> Option<ImportItem> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            match std::mem::replace(&mut self.mode, Mode::Done) {
                Mode::Done => return None,
                Mode::Start(lines) => self.start(lines),
                Mode::PerLine(mut lines) => match lines.next() {
                    None => return None,
                    Some(Line::Bad { rejected, fatal }) => {
                        if !fatal {
                            self.mode = Mode::PerLine(lines);
                        }
                        return Some(Err(rejected));
                    }
                    Some(Line::Text(number, text)) => {
                        self.mode = Mode::PerLine(lines);
                        if text.trim().is_empty() {
                            continue;
                        }
                        match serde_json::from_str::<Value>(&text) {
                            Ok(value) => self.pending.extend((self.convert)(value, number)),
                            Err(error) => {
                                return Some(Err(Rejected::new(
                                    number,
                                    format!("invalid JSON at column {}: {error}", error.column()),
                                )));
                            }
                        }
                    }
                },
                Mode::Whole(mut documents) => {
                    let (line, document) = documents.pop_front()?;
                    self.mode = Mode::Whole(documents);
                    match document {
                        Ok(value) => self.pending.extend((self.convert)(value, line)),
                        Err(reason) => return Some(Err(Rejected::new(line, reason))),
                    }
                }
            }
        }
    }
}

/// A short description of a JSON value's type, for messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_domain::{Channel, NewPost};

    fn echo(value: Value, line: u64) -> Vec<ImportItem> {
        match value.get("id").and_then(Value::as_str) {
            Some(id) => vec![Ok(NewPost::new(
                Channel::Web,
                id,
                "a",
                "t",
                chrono::DateTime::UNIX_EPOCH,
            ))],
            None => vec![Err(Rejected::new(line, "no id"))],
        }
    }

    fn run(input: &str) -> Vec<ImportItem> {
        DocumentPosts::new(input.as_bytes(), echo).collect()
    }

    #[test]
    fn json_lines_keep_going_after_a_bad_line() {
        let items = run("{\"id\":\"1\"}\n\nnot json\n{\"x\":1}\n{\"id\":\"2\"}\n");
        assert_eq!(items.len(), 4);
        assert!(items[0].is_ok());
        assert_eq!(items[1].as_ref().unwrap_err().line, 3);
        assert_eq!(items[2].as_ref().unwrap_err().line, 4);
        assert_eq!(items[3].as_ref().unwrap().external_id, "2");
    }

    #[test]
    fn pretty_printed_documents_report_their_start_line() {
        let items = run("\n{\n  \"id\": \"1\"\n}\n{\n  \"nope\": 1\n}\n");
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        assert_eq!(items[1].as_ref().unwrap_err().line, 5);
    }

    #[test]
    fn broken_pretty_document_names_line_and_column() {
        let items = run("{\n  \"id\": \"1\",\n  oops\n}\n");
        assert_eq!(items.len(), 1);
        let rejected = items[0].as_ref().unwrap_err();
        assert_eq!(rejected.line, 3, "{rejected:?}");
        assert!(rejected.reason.contains("column"), "{rejected:?}");
    }
}
