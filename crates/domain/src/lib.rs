//! Plain types shared by every Switchyard crate: posts, authors, channels, analysis results and
//! routing decisions. No I/O, no async: same input, same output.

pub mod analysis;
pub mod channel;
pub mod post;
pub mod rounding;
pub mod route;
pub mod stored_analysis;
pub mod testdata;
pub mod time;

pub use analysis::{
    Analysis, Contribution, Prediction, SentimentResult, VaderScores, round_confidence,
};
pub use channel::{Channel, UnknownChannel};
pub use post::{Author, Engagement, NewPost, Post, PostId, Visibility};
pub use rounding::RoundHalfAway;
pub use route::{Priority, RouteDecision, UNROUTED_QUEUE};
/// The small-string type of analysis labels, model ids and explanation features (re-exported so
/// that every crate names the same one).
pub use smol_str::{SmolStr, SmolStrBuilder, ToSmolStr, format_smolstr};
