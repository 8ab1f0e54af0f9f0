//! HTML to plain text for Mastodon `content`: paragraphs and line breaks become newlines, tags
//! are dropped (their text kept, so Mastodon's split link spans read as whole URLs), entities decoded.

/// Converts the small HTML subset Mastodon emits (`p`, `br`, `a`, `span`, …) to plain text.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(position) = rest.find(['<', '&']) {
        out.push_str(&rest[..position]);
        rest = &rest[position..];
        if rest.starts_with('<') {
            let Some(end) = rest.find('>') else {
                // A stray '<' with no closing '>': keep it as text.
                out.push_str(rest);
                rest = "";
                break;
            };
            let tag = rest[1..end].trim().to_ascii_lowercase();
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let closing = tag.starts_with('/');
            match name.as_str() {
                "br" => out.push('\n'),
                "p" | "div" | "blockquote" | "li" | "ul" | "ol" | "pre" if closing => {
                    push_paragraph_break(&mut out)
                }
                "p" | "div" | "blockquote" | "ul" | "ol" | "pre" => push_paragraph_break(&mut out),
                "li" if !out.is_empty() && !out.ends_with('\n') => out.push('\n'),
                _ => {}
            }
            rest = &rest[end + 1..];
        } else {
            let (decoded, used) = decode_entity(rest);
            out.push_str(&decoded);
            rest = &rest[used..];
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

fn push_paragraph_break(out: &mut String) {
    if out.is_empty() {
        return;
    }
    while out.ends_with(' ') {
        out.pop();
    }
    if out.ends_with("\n\n") {
        return;
    }
    if out.ends_with('\n') {
        out.push('\n');
    } else {
        out.push_str("\n\n");
    }
}

/// Decodes one entity at the start of `text` (which starts with '&'); returns the text and how
/// many bytes it used. Unknown entities are kept literally.
fn decode_entity(text: &str) -> (String, usize) {
    let Some(end) = text[..text.len().min(12)].find(';') else {
        return ("&".to_string(), 1);
    };
    let body = &text[1..end];
    let decoded = match body {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => {
            if let Some(hex) = body.strip_prefix("#x").or_else(|| body.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            } else if let Some(decimal) = body.strip_prefix('#') {
                decimal.parse::<u32>().ok().and_then(char::from_u32)
            } else {
                None
            }
        }
    };
    match decoded {
        Some(c) => (c.to_string(), end + 1),
        None => ("&".to_string(), 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mastodon_content_becomes_readable_text() {
        let html = r#"<p>Hey <span class="h-card"><a href="https://acme.social/@support" class="u-url mention">@<span>support</span></a></span> my order is late &amp; nobody answers&#39;s &lt;3</p><p>See <a href="https://example.com/t/1" rel="nofollow"><span class="invisible">https://</span><span class="">example.com/t/1</span><span class="invisible"></span></a><br>thanks</p>"#;
        assert_eq!(
            html_to_text(html),
            "Hey @support my order is late & nobody answers's <3\n\nSee https://example.com/t/1\nthanks"
        );
    }

    #[test]
    fn broken_markup_is_kept_not_lost() {
        assert_eq!(html_to_text("a < b &unknown; c"), "a < b &unknown; c");
        assert_eq!(html_to_text("5 &#x1F600; &#9731;"), "5 😀 ☃");
    }
}
