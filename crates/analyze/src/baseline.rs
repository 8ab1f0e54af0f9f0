//! The profanity-check baseline (alt-profanity-check 1.9.1's TF-IDF + calibrated linear SVM,
//! exported to JSON in the shared data), scored exactly as its README describes, so `eval` can
//! put it beside our toxicity model; training also uses it for weak labels and as the toxicity
//! model's per-word prior. The export itself is never shipped.

use crate::error::AnalyzeError;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;

#[derive(Debug, Deserialize)]
struct Export {
    vectorizer: Vectorizer,
    folds: Vec<Fold>,
}

#[derive(Debug, Deserialize)]
struct Vectorizer {
    stop_word_list: Vec<String>,
    vocabulary: HashMap<String, usize>,
    idf: Vec<f64>,
}

#[derive(Debug, Deserialize)]
struct Fold {
    coef: Vec<f64>,
    intercept: f64,
    sigmoid_a: f64,
    sigmoid_b: f64,
}

/// The exported profanity-check model.
#[derive(Debug)]
pub struct ProfanityCheck {
    stop_words: HashSet<String>,
    vocabulary: HashMap<String, usize>,
    idf: Vec<f64>,
    folds: Vec<Fold>,
}

impl ProfanityCheck {
    /// Reads `toxicity/profanity_check_model.json` from the shared data folder.
    pub fn load(data_dir: &Path) -> Result<ProfanityCheck, AnalyzeError> {
        let path = data_dir.join("toxicity/profanity_check_model.json");
        let text = std::fs::read_to_string(&path).map_err(|source| AnalyzeError::Io {
            action: "read",
            path: path.clone(),
            source,
        })?;
        let export: Export = serde_json::from_str(&text).map_err(|e| AnalyzeError::DataFormat {
            path: path.clone(),
            line: e.line(),
            problem: format!("not the expected profanity-check export: {e}"),
        })?;
        let width = export.vectorizer.idf.len();
        if export.folds.iter().any(|f| f.coef.len() != width)
            || export.vectorizer.vocabulary.values().any(|i| *i >= width)
        {
            return Err(AnalyzeError::DataFormat {
                path,
                line: 1,
                problem: "vocabulary, idf and coef sizes disagree".into(),
            });
        }
        Ok(ProfanityCheck {
            stop_words: export.vectorizer.stop_word_list.into_iter().collect(),
            vocabulary: export.vectorizer.vocabulary,
            idf: export.vectorizer.idf,
            folds: export.folds,
        })
    }

    /// Each vocabulary word with its weight in the model: idf × the folds' mean coefficient
    /// (how much one occurrence pushes a post towards offensive before normalisation). Stop
    /// words are not in the vocabulary. Sorted by word, so callers see a fixed order.
    pub fn word_weights(&self) -> Vec<(&str, f64)> {
        let folds = self.folds.len().max(1) as f64;
        let mut words: Vec<(&str, f64)> = self
            .vocabulary
            .iter()
            .map(|(word, i)| {
                let coef = self.folds.iter().map(|f| f.coef[*i]).sum::<f64>() / folds;
                (word.as_str(), self.idf[*i] * coef)
            })
            .collect();
        words.sort_unstable_by(|a, b| a.0.cmp(b.0));
        words
    }

    /// Probability that `text` is offensive: lowercase, tokens of 2+ word characters, stop
    /// words dropped, tf·idf, L2-normalised, each fold's sigmoid-calibrated SVM, averaged.
    pub fn probability(&self, text: &str) -> f64 {
        let lower = text.to_lowercase();
        let mut tf: HashMap<usize, f64> = HashMap::new();
        for token in lower.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if token.chars().count() < 2 || self.stop_words.contains(token) {
                continue;
            }
            if let Some(index) = self.vocabulary.get(token) {
                *tf.entry(*index).or_default() += 1.0;
            }
        }
        let mut vector: Vec<(usize, f64)> =
            tf.into_iter().map(|(i, n)| (i, n * self.idf[i])).collect();
        let norm = vector.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            vector.iter_mut().for_each(|(_, v)| *v /= norm);
        }
        let mut total = 0.0;
        for fold in &self.folds {
            let decision: f64 =
                vector.iter().map(|(i, v)| fold.coef[*i] * v).sum::<f64>() + fold.intercept;
            total += 1.0 / (1.0 + (fold.sigmoid_a * decision + fold.sigmoid_b).exp());
        }
        total / self.folds.len().max(1) as f64
    }
}
