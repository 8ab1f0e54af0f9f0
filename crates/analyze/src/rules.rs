//! Explainable phrase rules: urgency (safety, legal threats, churn, outages, urgency words,
//! author reach) and the two intents no labelled data exists for (suggestion, purchase lead).
//! Phrases match whole normalised tokens (`features::Features`), so "sue" never fires on "issue".

use crate::features::{Features, SEED_WORD, TokenKind, hash_bytes};
use rustc_hash::FxHashMap;
use std::sync::LazyLock;
use switchyard_domain::{Contribution, Prediction, SmolStr, format_smolstr, round_confidence};

/// Version of the urgency rules, reported as the model of every urgency result.
pub const URGENCY_MODEL: &str = "urgency-rules@2026.11.23";
/// Version of the intent rules layered over the intent model.
pub const INTENT_RULES: &str = "intent-rules@2026.11.23";

/// A group of phrases that means one thing, with the weight it adds to a score.
#[derive(Debug, Clone, Copy)]
pub struct RuleGroup {
    pub name: &'static str,
    pub weight: f32,
    pub phrases: &'static [&'static str],
}

/// Urgency signals. Weights add up; see [`assess_urgency`] for the thresholds.
pub const URGENCY_RULES: [RuleGroup; 6] = [
    RuleGroup {
        name: "safety",
        weight: 3.0,
        phrases: &[
            "fire",
            "smoke",
            "smoking",
            "injured",
            "injury",
            "hurt",
            "bleeding",
            "unsafe",
            "dangerous",
            "danger",
            "emergency landing",
            "carbon monoxide",
            "gas leak",
            "explode",
            "exploded",
            "caught fire",
            "hospital",
            "ambulance",
            "poisoning",
            "allergic reaction",
            "safety",
            "harassed",
            "assaulted",
            "threatened",
            "overdose",
        ],
    },
    RuleGroup {
        name: "legal threat",
        weight: 2.5,
        phrases: &[
            "lawyer",
            "attorney",
            "sue",
            "suing",
            "lawsuit",
            "legal action",
            "small claims",
            "class action",
            "court",
            "bbb",
            "better business bureau",
            "report you",
            "ftc",
            "fcc",
            "dot complaint",
            "chargeback",
            "regulator",
            "ombudsman",
        ],
    },
    RuleGroup {
        name: "outage",
        weight: 2.0,
        phrases: &[
            "outage",
            "is down",
            "are down",
            "site down",
            "app down",
            "service down",
            "went down",
            "not loading",
            "wont load",
            "cant log",
            "cant login",
            "cannot log",
            "unable to log",
            "no service",
            "no internet",
            "no power",
            "offline",
            "crashed",
            "crashing",
            "error",
            "502",
            "503",
            "stranded",
        ],
    },
    RuleGroup {
        name: "churn risk",
        weight: 1.5,
        phrases: &[
            "cancel my account",
            "close my account",
            "cancel my subscription",
            "cancel my service",
            "cancelling my",
            "canceling my",
            "switching to",
            "switch to",
            "never again",
            "never flying",
            "never using",
            "taking my business",
            "last time i",
            "unsubscribe",
            "done with you",
            "moving to",
        ],
    },
    RuleGroup {
        name: "urgent words",
        weight: 1.0,
        phrases: &[
            "urgent",
            "urgently",
            "asap",
            "immediately",
            "right now",
            "emergency",
            "help me",
            "please help",
            "need help",
            "missed my",
            "missing my",
            "still waiting",
            "no response",
            "hours",
            "days",
        ],
    },
    RuleGroup {
        name: "fraud",
        weight: 2.0,
        phrases: &[
            "fraud",
            "fraudulent",
            "scam",
            "scammed",
            "stolen",
            "hacked",
            "unauthorized",
            "identity theft",
            "phishing",
        ],
    },
];

/// Suggestion phrases (intent `suggestion`).
pub const SUGGESTION: RuleGroup = RuleGroup {
    name: "suggestion phrase",
    weight: 1.0,
    phrases: &[
        "you should",
        "you guys should",
        "please add",
        "would be nice",
        "would be great if",
        "would love to see",
        "feature request",
        "suggestion",
        "i suggest",
        "why not add",
        "could you add",
        "can you add",
        "please bring back",
        "bring back",
        "wish you would",
        "wish you had",
        "consider adding",
        "itd be great",
        "should offer",
        "should add",
    ],
};

/// Purchase-lead phrases (intent `lead`).
pub const LEAD: RuleGroup = RuleGroup {
    name: "purchase phrase",
    weight: 1.0,
    phrases: &[
        "how much",
        "price of",
        "pricing",
        "want to buy",
        "looking to buy",
        "looking for a",
        "interested in buying",
        "interested in your",
        "where can i buy",
        "where can i get",
        "do you sell",
        "in stock",
        "a quote",
        "free trial",
        "sign up for",
        "upgrade to",
        "how do i order",
        "discount code",
        "promo code",
        "do you ship",
        "do you deliver",
        "want to order",
        "book a",
        "buy a",
        "purchase",
    ],
};

/// Every rule group, in the order [`match_all`] reports them: the urgency groups, then
/// suggestion, then lead.
pub const ALL_GROUPS: [&RuleGroup; 8] = [
    &URGENCY_RULES[0],
    &URGENCY_RULES[1],
    &URGENCY_RULES[2],
    &URGENCY_RULES[3],
    &URGENCY_RULES[4],
    &URGENCY_RULES[5],
    &SUGGESTION,
    &LEAD,
];
/// Index of [`SUGGESTION`] in [`ALL_GROUPS`].
pub const SUGGESTION_GROUP: usize = 6;
/// Index of [`LEAD`] in [`ALL_GROUPS`].
pub const LEAD_GROUP: usize = 7;

/// One phrase, by the hashes of its words after the first.
#[derive(Debug)]
struct Entry {
    group: usize,
    rest: Vec<u64>,
    phrase: &'static str,
}

/// Phrases indexed by the hash of their first word, so matching costs one lookup per token.
static INDEX: LazyLock<FxHashMap<u64, Vec<Entry>>> = LazyLock::new(|| {
    let mut index: FxHashMap<u64, Vec<Entry>> = FxHashMap::default();
    for (group, rules) in ALL_GROUPS.iter().enumerate() {
        for phrase in rules.phrases {
            let mut words = phrase
                .split(' ')
                .map(|w| hash_bytes(SEED_WORD, w.as_bytes()));
            let Some(first) = words.next() else {
                continue;
            };
            index.entry(first).or_default().push(Entry {
                group,
                rest: words.collect(),
                phrase,
            });
        }
    }
    index
});

/// For every group of [`ALL_GROUPS`], the first of its phrases found in the post (in token
/// order), if any.
pub fn match_all(features: &Features) -> [Option<&'static str>; 8] {
    let mut found = [None; 8];
    let tokens = &features.tokens;
    for (start, token) in tokens.iter().enumerate() {
        let Some(entries) = INDEX.get(&token.hash) else {
            continue;
        };
        for entry in entries {
            if found[entry.group].is_some() {
                continue;
            }
            let following = &tokens[start + 1..];
            let matched = following.len() >= entry.rest.len()
                && entry.rest.iter().zip(following).all(|(h, t)| *h == t.hash);
            if matched {
                found[entry.group] = Some(entry.phrase);
            }
        }
    }
    found
}

/// The first phrase of `group` (one of [`ALL_GROUPS`]) found in the post's tokens, if any.
pub fn find_phrase(features: &Features, group: &RuleGroup) -> Option<&'static str> {
    let index = ALL_GROUPS.iter().position(|g| g.name == group.name)?;
    match_all(features)[index]
}

/// What the urgency rules need besides the text.
#[derive(Debug, Clone, Copy, Default)]
pub struct UrgencyContext {
    pub author_followers: Option<u64>,
    /// Probability the post is a complaint (complaint model).
    pub complaint_probability: f32,
    /// Whether the sentiment model said negative.
    pub negative: bool,
}

/// Urgency `high` (score ≥ 3), `medium` (≥ 1.5) or `low`, with the rules that fired as the
/// explanation. The confidence is the distance of the score from the nearest threshold squashed
/// into 0.5…1: a rule margin, not a probability learned from data (there is no labelled urgency
/// data).
pub fn assess_urgency(
    features: &Features,
    matches: &[Option<&'static str>; 8],
    context: &UrgencyContext,
) -> Prediction {
    let mut score = 0f32;
    let mut explain = Vec::new();
    for (group, found) in URGENCY_RULES.iter().zip(matches) {
        if let Some(phrase) = found {
            score += group.weight;
            explain.push(Contribution {
                feature: format_smolstr!("{}: \"{phrase}\"", group.name),
                weight: group.weight,
            });
        }
    }
    if let Some(followers) = context.author_followers {
        let reach = if followers >= 100_000 {
            2.0
        } else if followers >= 10_000 {
            1.0
        } else {
            0.0
        };
        if reach > 0.0 {
            score += reach;
            explain.push(Contribution {
                feature: format_smolstr!("author reach: {followers} followers"),
                weight: reach,
            });
        }
    }
    if context.complaint_probability >= 0.5 && context.negative {
        score += 0.5;
        explain.push(Contribution {
            feature: SmolStr::new_static("negative complaint"),
            weight: 0.5,
        });
    }
    let capitals = features
        .tokens
        .iter()
        .filter(|t| t.all_caps && t.kind == TokenKind::Word)
        .count();
    if capitals >= 3 {
        score += 0.5;
        explain.push(Contribution {
            feature: SmolStr::new_static("shouting (3+ ALL-CAPS words)"),
            weight: 0.5,
        });
    }
    explain.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    let (label, margin) = if score >= 3.0 {
        ("high", score - 3.0)
    } else if score >= 1.5 {
        ("medium", (score - 1.5).min(3.0 - score))
    } else {
        ("low", 1.5 - score)
    };
    Prediction {
        label: SmolStr::new_static(label),
        confidence: round_confidence(0.5 + 0.5 * (1.0 - (-margin - 0.5).exp())),
        model: SmolStr::new_static(URGENCY_MODEL),
        explain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_domain::VaderScores;

    fn urgency(text: &str, followers: Option<u64>) -> Prediction {
        let mut features = Features::new();
        features.extract(text, &VaderScores::default());
        let context = UrgencyContext {
            author_followers: followers,
            ..UrgencyContext::default()
        };
        assess_urgency(&features, &match_all(&features), &context)
    }

    #[test]
    fn safety_and_legal_are_high() {
        let p = urgency("There is smoke in the cabin and nobody helps", None);
        assert_eq!(p.label, "high");
        assert!(p.explain[0].feature.starts_with("safety"));
        assert_eq!(
            urgency("My lawyer will hear about this, outage again", None).label,
            "high"
        );
    }

    #[test]
    fn reach_and_churn_raise_urgency() {
        assert_eq!(urgency("thanks for the quick help", None).label, "low");
        assert_eq!(urgency("I want to cancel my account", None).label, "medium");
        assert_eq!(
            urgency("I want to cancel my account", Some(250_000)).label,
            "high"
        );
    }

    #[test]
    fn phrases_match_whole_tokens() {
        let mut features = Features::new();
        features.extract(
            "there is an issue with pursuing this",
            &VaderScores::default(),
        );
        assert_eq!(find_phrase(&features, &URGENCY_RULES[1]), None);
        features.extract("Can't log in since this morning", &VaderScores::default());
        assert_eq!(find_phrase(&features, &URGENCY_RULES[2]), Some("cant log"));
    }
}
