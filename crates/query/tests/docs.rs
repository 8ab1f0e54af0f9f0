//! Keeps `docs/queries.md` honest: every error example in its table is what the parser says.

use switchyard_query::parse;

#[test]
fn error_examples_in_the_docs_match_the_parser() {
    let docs = include_str!("../../../docs/queries.md");
    let section = docs
        .split("More examples:")
        .nth(1)
        .expect("docs/queries.md has an error-examples table");
    let mut checked = 0;
    for line in section.lines().skip_while(|l| !l.starts_with('|')) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split(" | ").collect();
        if cells.len() != 2 || !cells[0].starts_with("| `") {
            continue;
        }
        let query = cells[0].trim_start_matches("| `").trim_end_matches('`');
        let message = cells[1].trim_end_matches(" |").trim_matches('`');
        let error = match parse(query) {
            Ok(parsed) => panic!(
                "documented error example {query:?} parses as {}",
                parsed.expr
            ),
            Err(error) => error.to_string(),
        };
        let first_line = error.lines().next().unwrap_or_default();
        for part in message.split('…') {
            let part = part.trim_matches(|c: char| c == ' ' || c == ',');
            assert!(
                first_line.contains(part),
                "docs say {query:?} gives {message:?}\nbut the parser says: {first_line}\n(missing {part:?})"
            );
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} examples found");
}
