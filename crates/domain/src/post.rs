//! Posts and their authors, as every source normalizes them.

use crate::channel::Channel;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The store's own identifier of a post (assigned on first insert).
pub type PostId = i64;

/// Whether the public can see a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Public,
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }
}

/// Who wrote a post, as the channel describes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Author {
    /// The handle on its channel, without a leading `@` (for email: the address).
    pub handle: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Followers or subscribers, where the channel reports them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<u64>,
    #[serde(default)]
    pub verified: bool,
}

/// Engagement counts, where the source reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Engagement {
    #[serde(default)]
    pub likes: u64,
    #[serde(default)]
    pub shares: u64,
    #[serde(default)]
    pub replies: u64,
    /// Views or impressions; only some channels (X API v2, some forums) report them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub views: Option<u64>,
}

/// A post as a source hands it over, before the store has given it an id.
///
/// `(channel, external_id)` identifies a post uniquely: ingesting the same pair twice adds nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewPost {
    pub channel: Channel,
    /// The id the channel gave the post (tweet id, status id, AT URI, Message-ID, feed guid…).
    pub external_id: String,
    /// External id of the conversation's first post, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// External id of the post this one replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    pub author: Author,
    pub text: String,
    /// Language as the source declared it (ISO 639-1); analysis detects its own as well.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub visibility: Visibility,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permalink: Option<String>,
    #[serde(default)]
    pub engagement: Engagement,
    /// Free-form source fields kept for audit and drill-down (e.g. a CSV's extra columns).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub meta: serde_json::Value,
}

impl NewPost {
    /// A minimal public post; the other fields take their defaults.
    pub fn new(
        channel: Channel,
        external_id: impl Into<String>,
        author_handle: impl Into<String>,
        text: impl Into<String>,
        created_at: DateTime<Utc>,
    ) -> Self {
        NewPost {
            channel,
            external_id: external_id.into(),
            thread_id: None,
            parent_id: None,
            author: Author {
                handle: author_handle.into(),
                ..Author::default()
            },
            text: text.into(),
            language: None,
            created_at,
            visibility: if channel.is_public_by_default() {
                Visibility::Public
            } else {
                Visibility::Private
            },
            permalink: None,
            engagement: Engagement::default(),
            meta: serde_json::Value::Null,
        }
    }

    /// Whether this post replies to another one.
    pub fn is_reply(&self) -> bool {
        self.parent_id.is_some()
    }

    /// Whether the text contains a link.
    pub fn has_link(&self) -> bool {
        self.text.contains("http://")
            || self.text.contains("https://")
            || self.text.contains("www.")
    }
}

/// A stored post: what was ingested plus the store's id and when it arrived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub id: PostId,
    #[serde(flatten)]
    pub post: NewPost,
    pub ingested_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn new_post_takes_visibility_from_its_channel() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            NewPost::new(Channel::X, "1", "a", "hi", at).visibility,
            Visibility::Public
        );
        assert_eq!(
            NewPost::new(Channel::Email, "1", "a", "hi", at).visibility,
            Visibility::Private
        );
    }

    #[test]
    fn minimal_json_fills_defaults() {
        let json = r#"{"channel":"x","external_id":"9","author":{"handle":"amy"},"text":"late again","created_at":"2026-01-01T00:00:00Z"}"#;
        let post: NewPost = serde_json::from_str(json).unwrap();
        assert_eq!(post.engagement.views, None);
        assert!(!post.author.verified);
        assert!(!post.is_reply());
    }
}
