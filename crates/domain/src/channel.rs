//! The closed set of channels a post can come from. Adding one makes the compiler list every
//! place that must handle it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a post was heard. Serialized in lowercase (`"x"`, `"mastodon"`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// X (formerly Twitter), including imported historical tweets.
    X,
    Mastodon,
    Bluesky,
    Facebook,
    Instagram,
    Reddit,
    /// RSS, Atom and JSON Feed sources: blogs, forums, review sites.
    Feed,
    Forum,
    Review,
    Email,
    Chat,
    Sms,
    /// Something an agent heard on the phone and logged by hand.
    Phone,
    /// A generic signed webhook or web form.
    Web,
}

impl Channel {
    /// Every channel, in a stable order (for reports and validation messages).
    pub const ALL: [Channel; 14] = [
        Channel::X,
        Channel::Mastodon,
        Channel::Bluesky,
        Channel::Facebook,
        Channel::Instagram,
        Channel::Reddit,
        Channel::Feed,
        Channel::Forum,
        Channel::Review,
        Channel::Email,
        Channel::Chat,
        Channel::Sms,
        Channel::Phone,
        Channel::Web,
    ];

    /// The lowercase name used in JSON, SQL, queries (`channel:x`) and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::X => "x",
            Channel::Mastodon => "mastodon",
            Channel::Bluesky => "bluesky",
            Channel::Facebook => "facebook",
            Channel::Instagram => "instagram",
            Channel::Reddit => "reddit",
            Channel::Feed => "feed",
            Channel::Forum => "forum",
            Channel::Review => "review",
            Channel::Email => "email",
            Channel::Chat => "chat",
            Channel::Sms => "sms",
            Channel::Phone => "phone",
            Channel::Web => "web",
        }
    }

    /// Whether posts on this channel are usually visible to the public.
    pub fn is_public_by_default(self) -> bool {
        match self {
            Channel::X
            | Channel::Mastodon
            | Channel::Bluesky
            | Channel::Facebook
            | Channel::Instagram
            | Channel::Reddit
            | Channel::Feed
            | Channel::Forum
            | Channel::Review => true,
            Channel::Email | Channel::Chat | Channel::Sms | Channel::Phone | Channel::Web => false,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A channel name that is not one of [`Channel::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown channel {0:?}; expected one of: x, twitter, mastodon, bluesky, facebook, instagram, reddit, feed, rss, forum, review, email, chat, sms, phone, web"
)]
pub struct UnknownChannel(pub String);

impl FromStr for Channel {
    type Err = UnknownChannel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let channel = match lower.as_str() {
            "x" | "twitter" | "tweet" => Channel::X,
            "mastodon" | "fediverse" => Channel::Mastodon,
            "bluesky" | "bsky" => Channel::Bluesky,
            "facebook" | "fb" | "meta" => Channel::Facebook,
            "instagram" | "ig" => Channel::Instagram,
            "reddit" => Channel::Reddit,
            "feed" | "rss" | "atom" | "blog" => Channel::Feed,
            "forum" => Channel::Forum,
            "review" | "reviews" => Channel::Review,
            "email" | "mail" => Channel::Email,
            "chat" => Channel::Chat,
            "sms" => Channel::Sms,
            "phone" => Channel::Phone,
            "web" | "webhook" | "form" => Channel::Web,
            _ => return Err(UnknownChannel(s.to_string())),
        };
        Ok(channel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_round_trips_through_its_name() {
        for channel in Channel::ALL {
            assert_eq!(channel.as_str().parse::<Channel>().unwrap(), channel);
            let json = serde_json::to_string(&channel).unwrap();
            assert_eq!(json, format!("\"{}\"", channel.as_str()));
        }
    }

    #[test]
    fn unknown_channel_names_the_choices() {
        let err = "myspace".parse::<Channel>().unwrap_err();
        assert!(err.to_string().contains("myspace"));
        assert!(err.to_string().contains("mastodon"));
    }
}
