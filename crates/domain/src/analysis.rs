//! What the analysis layer says about a post. The JSON shape is a public contract:
//! `analysis.sentiment.vader = {neg, neu, pos, compound}`, `analysis.language`, and for every task
//! `analysis.<task>.label / .confidence / .explain / .model`.

use serde::{Deserialize, Serialize};

/// VADER's four scores, exactly as the reference implementation computes them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct VaderScores {
    pub neg: f64,
    pub neu: f64,
    pub pos: f64,
    pub compound: f64,
}

/// One feature's push on a decision, for explanations ("no response" → complaint +1.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub feature: String,
    pub weight: f32,
}

/// A classifier's answer: label, how sure, which model, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub label: String,
    pub confidence: f32,
    /// Model name and version, e.g. `complaint-lr@2026.11.1`.
    pub model: String,
    /// The features or rules that moved the decision most, strongest first.
    #[serde(default)]
    pub explain: Vec<Contribution>,
}

/// Sentiment: the VADER scores plus the customer-care model's label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentimentResult {
    pub vader: VaderScores,
    /// `positive`, `neutral` or `negative`.
    pub label: String,
    pub confidence: f32,
    pub model: String,
    #[serde(default)]
    pub explain: Vec<Contribution>,
}

impl SentimentResult {
    /// A sentiment result taken from VADER alone (compound ≥ 0.05 positive, ≤ −0.05 negative).
    pub fn from_vader(vader: VaderScores) -> Self {
        let label = if vader.compound >= 0.05 {
            "positive"
        } else if vader.compound <= -0.05 {
            "negative"
        } else {
            "neutral"
        };
        SentimentResult {
            vader,
            label: label.to_string(),
            confidence: vader.compound.abs().max(0.5) as f32,
            model: "vader@3.3.2".to_string(),
            explain: Vec::new(),
        }
    }
}

/// Everything the analysis layer adds to a post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// ISO 639-1 code (`en`, `de`…), or `und` when undetermined.
    pub language: String,
    pub language_confidence: f32,
    pub sentiment: SentimentResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint: Option<Prediction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Prediction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Prediction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<Prediction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toxicity: Option<Prediction>,
}

impl Analysis {
    /// The label a task gave, by task name (`sentiment`, `complaint`, `intent`, `reason`,
    /// `urgency`, `toxicity`, `language`). Used by queries (`intent:complaint`) and rules.
    pub fn label(&self, task: &str) -> Option<&str> {
        match task {
            "sentiment" => Some(self.sentiment.label.as_str()),
            "language" | "lang" => Some(self.language.as_str()),
            "complaint" => self.complaint.as_ref().map(|p| p.label.as_str()),
            "intent" => self.intent.as_ref().map(|p| p.label.as_str()),
            "reason" => self.reason.as_ref().map(|p| p.label.as_str()),
            "urgency" => self.urgency.as_ref().map(|p| p.label.as_str()),
            "toxicity" => self.toxicity.as_ref().map(|p| p.label.as_str()),
            _ => None,
        }
    }

    /// The confidence a task gave its label, by task name.
    pub fn confidence(&self, task: &str) -> Option<f32> {
        match task {
            "sentiment" => Some(self.sentiment.confidence),
            "language" | "lang" => Some(self.language_confidence),
            "complaint" => self.complaint.as_ref().map(|p| p.confidence),
            "intent" => self.intent.as_ref().map(|p| p.confidence),
            "reason" => self.reason.as_ref().map(|p| p.confidence),
            "urgency" => self.urgency.as_ref().map(|p| p.confidence),
            "toxicity" => self.toxicity.as_ref().map(|p| p.confidence),
            _ => None,
        }
    }
}
