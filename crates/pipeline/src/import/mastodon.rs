//! Mastodon `Status` JSON as the REST API returns it (`/api/v1/timelines/…`, `/api/v1/statuses/:id`,
//! search results): an array of statuses, one status, or JSON lines of either.

use super::documents::json_type;
use super::html::html_to_text;
use super::{ImportItem, Rejected};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use switchyard_domain::{Author, Channel, Engagement, NewPost, Visibility};

#[derive(Debug, Deserialize)]
struct Status {
    id: String,
    created_at: DateTime<Utc>,
    #[serde(default)]
    in_reply_to_id: Option<String>,
    #[serde(default)]
    in_reply_to_account_id: Option<String>,
    #[serde(default)]
    sensitive: bool,
    #[serde(default)]
    spoiler_text: String,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    replies_count: u64,
    #[serde(default)]
    reblogs_count: u64,
    #[serde(default)]
    favourites_count: u64,
    #[serde(default)]
    content: String,
    #[serde(default)]
    reblog: Option<Box<Status>>,
    account: Account,
    #[serde(default)]
    tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
struct Account {
    #[serde(default)]
    id: Option<String>,
    acct: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    followers_count: Option<u64>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    bot: bool,
}

#[derive(Debug, Deserialize)]
struct Tag {
    name: String,
}

/// Converts one document (a status or an array of statuses) found at `line`.
pub(crate) fn posts_from_document(document: Value, line: u64) -> Vec<ImportItem> {
    match document {
        Value::Array(statuses) => statuses
            .into_iter()
            .enumerate()
            .map(|(index, status)| {
                post_from_status(status)
                    .map_err(|why| Rejected::new(line, format!("[{index}]: {why}")))
            })
            .collect(),
        Value::Object(_) => {
            vec![post_from_status(document).map_err(|why| Rejected::new(line, why))]
        }
        other => vec![Err(Rejected::new(
            line,
            format!(
                "expected a Mastodon status object or an array of them, found {}",
                json_type(&other)
            ),
        ))],
    }
}

fn post_from_status(value: Value) -> Result<NewPost, String> {
    let id_hint = value
        .get("id")
        .and_then(Value::as_str)
        .map(|id| format!("status {id}: "))
        .unwrap_or_default();
    let status: Status =
        serde_json::from_value(value).map_err(|error| format!("{id_hint}{error}"))?;
    // A boost carries no text of its own: the post is the boosted status.
    let (status, boosted_by) = match status.reblog {
        Some(original) => (*original, Some(status.account.acct.clone())),
        None => (status, None),
    };
    if status.id.trim().is_empty() {
        return Err("status id is empty".to_string());
    }
    let content = html_to_text(&status.content);
    let text = if status.spoiler_text.trim().is_empty() {
        content
    } else {
        format!("{}\n\n{}", status.spoiler_text.trim(), content)
    };
    if text.trim().is_empty() {
        return Err(format!(
            "status {}: no text (a media-only post); nothing to analyse",
            status.id
        ));
    }
    let visibility = match status.visibility.as_deref() {
        None | Some("public") | Some("unlisted") => Visibility::Public,
        // private (followers only), direct, and anything newer (e.g. "limited") stay private.
        Some(_) => Visibility::Private,
    };
    let handle = full_handle(&status.account);
    let mut meta = serde_json::Map::new();
    if let Some(uri) = &status.uri {
        meta.insert("uri".into(), uri.clone().into());
    }
    if let Some(id) = &status.account.id {
        meta.insert("account_id".into(), id.clone().into());
    }
    if let Some(id) = &status.in_reply_to_account_id {
        meta.insert("in_reply_to_account_id".into(), id.clone().into());
    }
    if let Some(visibility) = &status.visibility {
        meta.insert("visibility".into(), visibility.clone().into());
    }
    if status.sensitive {
        meta.insert("sensitive".into(), true.into());
    }
    if status.account.bot {
        meta.insert("bot".into(), true.into());
    }
    if !status.tags.is_empty() {
        let tags: Vec<Value> = status.tags.iter().map(|t| t.name.clone().into()).collect();
        meta.insert("tags".into(), Value::Array(tags));
    }
    if let Some(booster) = boosted_by {
        meta.insert("boosted_by".into(), booster.into());
    }
    Ok(NewPost {
        channel: Channel::Mastodon,
        external_id: status.id,
        thread_id: None,
        parent_id: status.in_reply_to_id,
        author: Author {
            handle,
            display_name: status.account.display_name.filter(|n| !n.is_empty()),
            followers: status.account.followers_count,
            verified: false,
        },
        text,
        language: status.language.filter(|l| !l.is_empty()),
        created_at: status.created_at,
        visibility,
        permalink: status.url.or(status.uri),
        engagement: Engagement {
            likes: status.favourites_count,
            shares: status.reblogs_count,
            replies: status.replies_count,
            views: None,
        },
        meta: Value::Object(meta),
    })
}

/// `acct` is `user` for accounts on the serving instance and `user@domain` otherwise; we always
/// store `user@domain` (the domain taken from the account's URL) so handles are unambiguous.
fn full_handle(account: &Account) -> String {
    let acct = account.acct.trim_start_matches('@');
    if acct.contains('@') {
        return acct.to_string();
    }
    let domain = account
        .url
        .as_deref()
        .and_then(|url| url.split("://").nth(1))
        .and_then(|rest| rest.split('/').next())
        .filter(|host| !host.is_empty());
    match domain {
        Some(domain) => format!("{acct}@{domain}"),
        None => acct.to_string(),
    }
}
