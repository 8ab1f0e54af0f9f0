//! HTML to plain text for post bodies (Mastodon content, feed entries): tags dropped, block ends
//! become line breaks, entities decoded, `<script>`/`<style>` content removed.

/// Converts an HTML fragment to readable plain text. Never panics on malformed markup.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        push_text(&mut out, &rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            // An unterminated tag: keep it as text rather than dropping the rest.
            push_text(&mut out, &rest[start..]);
            rest = "";
            break;
        };
        let tag = after[..end].trim();
        rest = &after[end + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        if !closing && (name == "script" || name == "style") {
            let close = format!("</{name}");
            match find_ascii_case_insensitive(rest, &close) {
                Some(position) => {
                    rest = &rest[position..];
                    if let Some(gt) = rest.find('>') {
                        rest = &rest[gt + 1..];
                    } else {
                        rest = "";
                    }
                }
                None => rest = "",
            }
            continue;
        }
        match name.as_str() {
            "br" => out.push('\n'),
            "p" | "div" | "li" | "blockquote" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "tr"
            | "pre" => {
                if closing || name == "li" {
                    out.push('\n');
                }
                if closing && name == "p" {
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
    push_text(&mut out, rest);
    tidy(&out)
}

fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    let haystack_lower = haystack.to_ascii_lowercase();
    haystack_lower.find(&needle.to_ascii_lowercase())
}

fn push_text(out: &mut String, text: &str) {
    out.push_str(&decode_entities(text));
}

/// Decodes the named entities that occur in social posts and all numeric ones.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|end| decode_one(&after[..end]).map(|c| (c, end)));
        match decoded {
            Some((character, end)) => {
                out.push(character);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_one(entity: &str) -> Option<char> {
    if let Some(number) = entity.strip_prefix('#') {
        let code = if let Some(hex) = number.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            number.parse::<u32>().ok()?
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    let character = match entity {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "euro" => '€',
        "copy" => '©',
        _ => return None,
    };
    Some(character)
}

/// Collapses runs of spaces inside lines and more than one blank line between paragraphs.
fn tidy(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let collapsed = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() && lines.last().is_some_and(|last| last.is_empty()) {
            continue;
        }
        lines.push(collapsed);
    }
    while lines.last().is_some_and(|last| last.is_empty()) {
        lines.pop();
    }
    while lines.first().is_some_and(|first| first.is_empty()) {
        lines.remove(0);
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mastodon_content_becomes_text() {
        let html = r#"<p><span class="h-card"><a href="https://acme.social/@support" class="u-url mention">@<span>support</span></a></span> my parcel is late &amp; nobody answers</p><p>second&nbsp;para<br />line</p>"#;
        assert_eq!(
            html_to_text(html),
            "@support my parcel is late & nobody answers\n\nsecond para\nline"
        );
    }

    #[test]
    fn scripts_entities_and_broken_markup() {
        assert_eq!(
            html_to_text("a<script>alert(1)</script>b<style>x{}</style>c"),
            "abc"
        );
        assert_eq!(
            html_to_text("caf&#233; &#x1F600; &bogus; &"),
            "café 😀 &bogus; &"
        );
        assert_eq!(html_to_text("broken <a href="), "broken <a href=");
        assert_eq!(html_to_text("&#0; &#99999999999;"), "&#0; &#99999999999;");
    }
}
