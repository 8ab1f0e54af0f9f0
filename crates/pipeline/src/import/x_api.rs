//! X API v2 responses (`GET /2/tweets/search/recent`, `/2/users/:id/mentions`, `/2/tweets/:id`…):
//! `data` (one tweet or many) joined with `includes.users` by `author_id`.

use super::csv::snowflake_time;
use super::documents::json_type;
use super::{ImportItem, Rejected};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use switchyard_domain::{Author, Channel, Engagement, NewPost, Visibility};

#[derive(Debug, Deserialize)]
struct User {
    id: String,
    username: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    verified: Option<bool>,
    #[serde(default)]
    verified_type: Option<String>,
    #[serde(default)]
    public_metrics: Option<UserMetrics>,
}

#[derive(Debug, Deserialize)]
struct UserMetrics {
    #[serde(default)]
    followers_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Tweet {
    id: String,
    text: String,
    #[serde(default)]
    author_id: Option<String>,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    conversation_id: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    public_metrics: Option<TweetMetrics>,
    #[serde(default)]
    referenced_tweets: Vec<Reference>,
    #[serde(default)]
    note_tweet: Option<NoteTweet>,
    #[serde(default)]
    in_reply_to_user_id: Option<String>,
    #[serde(default)]
    possibly_sensitive: Option<bool>,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TweetMetrics {
    #[serde(default)]
    retweet_count: u64,
    #[serde(default)]
    reply_count: u64,
    #[serde(default)]
    like_count: u64,
    #[serde(default)]
    quote_count: u64,
    #[serde(default)]
    bookmark_count: Option<u64>,
    #[serde(default)]
    impression_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Reference {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

#[derive(Debug, Deserialize)]
struct NoteTweet {
    text: String,
}

/// Converts one X API v2 response document found at `line`.
pub(crate) fn posts_from_document(document: Value, line: u64) -> Vec<ImportItem> {
    let Value::Object(mut object) = document else {
        return vec![Err(Rejected::new(
            line,
            format!(
                "expected an X API v2 response object with `data`, found {}",
                json_type(&document)
            ),
        ))];
    };
    let users = object
        .get("includes")
        .and_then(|includes| includes.get("users"))
        .and_then(Value::as_array)
        .map(|users| {
            users
                .iter()
                .filter_map(|user| serde_json::from_value::<User>(user.clone()).ok())
                .map(|user| (user.id.clone(), user))
                .collect::<HashMap<_, _>>()
        })
        .unwrap_or_default();
    let tweets = match object.remove("data") {
        Some(Value::Array(tweets)) => tweets,
        Some(single @ Value::Object(_)) => vec![single],
        Some(other) => {
            return vec![Err(Rejected::new(
                line,
                format!(
                    "`data` is {}, expected a tweet object or an array of tweets",
                    json_type(&other)
                ),
            ))];
        }
        None => {
            // A page with only `errors` (deleted or protected tweets) or an empty search result
            // (`meta.result_count = 0`) carries no posts and is not wrong.
            if object.contains_key("errors") || object.contains_key("meta") {
                return Vec::new();
            }
            return vec![Err(Rejected::new(
                line,
                "not an X API v2 response: no `data` (expected {\"data\": [...], \"includes\": {\"users\": [...]}})",
            ))];
        }
    };
    tweets
        .into_iter()
        .enumerate()
        .map(|(index, tweet)| {
            post_from_tweet(tweet, &users)
                .map_err(|why| Rejected::new(line, format!("data[{index}]: {why}")))
        })
        .collect()
}

fn post_from_tweet(value: Value, users: &HashMap<String, User>) -> Result<NewPost, String> {
    let id_hint = value
        .get("id")
        .and_then(Value::as_str)
        .map(|id| format!("tweet {id}: "))
        .unwrap_or_default();
    let tweet: Tweet =
        serde_json::from_value(value).map_err(|error| format!("{id_hint}{error}"))?;
    if tweet.id.trim().is_empty() {
        return Err("tweet id is empty".to_string());
    }
    let created_at = match tweet.created_at {
        Some(time) => time,
        None => snowflake_time(&tweet.id).ok_or_else(|| {
            format!(
                "tweet {}: no created_at (request tweet.fields=created_at) and the id carries no time",
                tweet.id
            )
        })?,
    };
    let text = match &tweet.note_tweet {
        Some(note) if !note.text.trim().is_empty() => note.text.clone(),
        _ => tweet.text.clone(),
    };
    if text.trim().is_empty() {
        return Err(format!("tweet {}: text is empty", tweet.id));
    }
    let user = tweet.author_id.as_ref().and_then(|id| users.get(id));
    let author = match user {
        Some(user) => Author {
            handle: user.username.clone(),
            display_name: user.name.clone(),
            followers: user.public_metrics.as_ref().and_then(|m| m.followers_count),
            verified: user.verified.unwrap_or(false)
                || user
                    .verified_type
                    .as_deref()
                    .is_some_and(|kind| !kind.is_empty() && kind != "none"),
        },
        None => Author {
            // Without `expansions=author_id` we only know the numeric id.
            handle: tweet
                .author_id
                .clone()
                .map(|id| format!("id:{id}"))
                .unwrap_or_else(|| "unknown".to_string()),
            ..Author::default()
        },
    };
    let metrics = tweet.public_metrics.as_ref();
    let engagement = Engagement {
        likes: metrics.map(|m| m.like_count).unwrap_or(0),
        shares: metrics
            .map(|m| m.retweet_count + m.quote_count)
            .unwrap_or(0),
        replies: metrics.map(|m| m.reply_count).unwrap_or(0),
        views: metrics.and_then(|m| m.impression_count),
    };
    let parent_id = tweet
        .referenced_tweets
        .iter()
        .find(|reference| reference.kind == "replied_to")
        .map(|reference| reference.id.clone());
    let permalink = match user {
        Some(user) => format!("https://x.com/{}/status/{}", user.username, tweet.id),
        None => format!("https://x.com/i/web/status/{}", tweet.id),
    };
    let mut meta = serde_json::Map::new();
    let other_references: Vec<Value> = tweet
        .referenced_tweets
        .iter()
        .filter(|reference| reference.kind != "replied_to")
        .map(|reference| serde_json::json!({"type": reference.kind, "id": reference.id}))
        .collect();
    if !other_references.is_empty() {
        meta.insert("referenced_tweets".into(), Value::Array(other_references));
    }
    if let Some(metrics) = metrics {
        meta.insert("quote_count".into(), metrics.quote_count.into());
        if let Some(bookmarks) = metrics.bookmark_count {
            meta.insert("bookmark_count".into(), bookmarks.into());
        }
    }
    if let Some(id) = &tweet.in_reply_to_user_id {
        meta.insert("in_reply_to_user_id".into(), id.clone().into());
    }
    if let Some(id) = &tweet.author_id {
        meta.insert("author_id".into(), id.clone().into());
    }
    if let Some(sensitive) = tweet.possibly_sensitive {
        meta.insert("possibly_sensitive".into(), sensitive.into());
    }
    if let Some(source) = &tweet.source {
        meta.insert("source".into(), source.clone().into());
    }
    let language = tweet
        .lang
        .filter(|lang| !matches!(lang.as_str(), "und" | "qme" | "qam" | "qht" | "qct" | "zxx"));
    Ok(NewPost {
        channel: Channel::X,
        external_id: tweet.id,
        thread_id: tweet.conversation_id,
        parent_id,
        author,
        text,
        language,
        created_at,
        visibility: Visibility::Public,
        permalink: Some(permalink),
        engagement,
        meta: Value::Object(meta),
    })
}
