//! A sparse linear classifier over hashed features (multinomial logistic regression), its
//! deterministic binary file format, prediction with temperature-calibrated probabilities and
//! explanations (the features that pushed the chosen label most).
//!
//! File layout (all integers and floats little-endian):
//! `SWYMODEL` · u32 format version · u32 header length · header JSON · u32 row count ·
//! rows of (u32 bucket, f32 × classes), buckets ascending. Only buckets with a non-zero weight
//! are stored, so a file holds exactly what training produced, byte for byte.

use crate::error::AnalyzeError;
use crate::features::{Dense, Feature, Features, Origin};
use serde::{Deserialize, Serialize};
use switchyard_domain::{Contribution, Prediction};

const MAGIC: &[u8; 8] = b"SWYMODEL";
const FORMAT_VERSION: u32 = 1;
/// How many contributing features an explanation lists at most.
pub const EXPLAIN_TOP: usize = 4;

/// What a model file says about itself: identity, labels, feature space, calibration and how it
/// was trained (data sets, splits, licences).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelHeader {
    /// Model name, e.g. `sentiment-lr`.
    pub name: String,
    /// Model version, e.g. `2026.11.23`.
    pub version: String,
    /// The task it answers (`sentiment`, `complaint`…).
    pub task: String,
    /// Labels, in weight-column order.
    pub classes: Vec<String>,
    /// Buckets are the low `hash_bits` bits of a feature hash.
    pub hash_bits: u32,
    /// The feature definitions it was trained with (`features::FEATURES_VERSION`).
    pub features: String,
    /// Softmax temperature fitted on held-out predictions (calibration).
    pub temperature: f32,
    /// Training data, splits, seed and hyper-parameters, in words.
    pub training: String,
    /// Licences of the training data and what they imply for the weights.
    pub licence: String,
}

/// A trained linear model: `weights[bucket * classes + class]`.
#[derive(Debug, Clone)]
pub struct LinearModel {
    pub header: ModelHeader,
    weights: Vec<f32>,
    mask: u64,
}

/// Scores of every class for one post, and the explanation for the chosen one.
#[derive(Debug, Clone, Copy)]
struct Scored {
    best: usize,
    probability: f32,
}

impl LinearModel {
    /// A model from its header and dense weights (`2^hash_bits × classes` values).
    pub fn from_parts(header: ModelHeader, weights: Vec<f32>) -> Result<Self, AnalyzeError> {
        let classes = header.classes.len();
        if classes < 2 {
            return Err(AnalyzeError::BadModel {
                model: header.name.clone(),
                problem: format!("it has {classes} classes; a classifier needs at least 2"),
            });
        }
        if !(8..=24).contains(&header.hash_bits) {
            return Err(AnalyzeError::BadModel {
                model: header.name.clone(),
                problem: format!("hash_bits is {}, expected 8..=24", header.hash_bits),
            });
        }
        let expected = (1usize << header.hash_bits) * classes;
        if weights.len() != expected {
            return Err(AnalyzeError::BadModel {
                model: header.name.clone(),
                problem: format!("{} weights, expected {expected}", weights.len()),
            });
        }
        let mask = (1u64 << header.hash_bits) - 1;
        Ok(LinearModel {
            header,
            weights,
            mask,
        })
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.header.classes.len()
    }

    /// `name@version`, as results report it.
    pub fn id(&self) -> String {
        format!("{}@{}", self.header.name, self.header.version)
    }

    /// The bucket a hash falls in.
    #[inline]
    pub fn bucket(&self, hash: u64) -> usize {
        (hash & self.mask) as usize
    }

    /// Raw class scores (before softmax) into `out` (length = classes).
    pub fn scores_into(&self, features: &[Feature], out: &mut [f32]) {
        let classes = self.classes();
        out.iter_mut().for_each(|s| *s = 0.0);
        for feature in features {
            let row = self.bucket(feature.hash) * classes;
            let weights = &self.weights[row..row + classes];
            for (score, weight) in out.iter_mut().zip(weights) {
                *score += weight * feature.value;
            }
        }
    }

    /// Calibrated class probabilities into `out` (length = classes).
    pub fn probabilities_into(&self, features: &[Feature], out: &mut [f32]) {
        self.scores_into(features, out);
        softmax_in_place(out, self.header.temperature);
    }

    fn best(&self, features: &[Feature], scratch: &mut [f32]) -> Scored {
        self.probabilities_into(features, scratch);
        let mut best = 0;
        for (i, p) in scratch.iter().enumerate() {
            if *p > scratch[best] {
                best = i;
            }
        }
        Scored {
            best,
            probability: scratch[best],
        }
    }

    /// The most likely label with its calibrated probability and the features that pushed it
    /// most (strongest first).
    pub fn predict(&self, features: &Features) -> Prediction {
        let mut scratch = [0f32; 16];
        let mut heap = Vec::new();
        let probabilities: &mut [f32] = if self.classes() <= scratch.len() {
            &mut scratch[..self.classes()]
        } else {
            heap.resize(self.classes(), 0.0);
            &mut heap
        };
        let scored = self.best(&features.items, probabilities);
        Prediction {
            label: self.header.classes[scored.best].clone(),
            confidence: scored.probability,
            model: self.id(),
            explain: self.explain(features, scored.best),
        }
    }

    /// The features that pushed `class` up most, relative to the other classes' mean.
    pub fn explain(&self, features: &Features, class: usize) -> Vec<Contribution> {
        let classes = self.classes();
        let mut top: [(f32, usize); EXPLAIN_TOP] = [(0.0, usize::MAX); EXPLAIN_TOP];
        for (index, feature) in features.items.iter().enumerate() {
            if feature.origin == Origin::Dense(Dense::Bias) {
                continue;
            }
            let row = self.bucket(feature.hash) * classes;
            let weights = &self.weights[row..row + classes];
            let others = (weights.iter().sum::<f32>() - weights[class]) / (classes - 1) as f32;
            let push = (weights[class] - others) * feature.value;
            if push <= top[EXPLAIN_TOP - 1].0 {
                continue;
            }
            let mut at = EXPLAIN_TOP - 1;
            while at > 0 && top[at - 1].0 < push {
                top[at] = top[at - 1];
                at -= 1;
            }
            top[at] = (push, index);
        }
        let mut explain: Vec<Contribution> = Vec::with_capacity(EXPLAIN_TOP);
        for (push, index) in top {
            if index == usize::MAX {
                break;
            }
            let name = features.name(features.items[index].origin);
            if let Some(existing) = explain.iter_mut().find(|c| c.feature == name) {
                existing.weight += push;
                continue;
            }
            explain.push(Contribution {
                feature: name,
                weight: (push * 1000.0).round() / 1000.0,
            });
        }
        explain
    }

    /// The model as file bytes (deterministic: same weights, same bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.header).unwrap_or_default();
        let classes = self.classes();
        let mut out = Vec::with_capacity(header.len() + 64);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        let rows: Vec<usize> = (0..self.weights.len() / classes)
            .filter(|bucket| {
                self.weights[bucket * classes..(bucket + 1) * classes]
                    .iter()
                    .any(|w| *w != 0.0)
            })
            .collect();
        out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
        for bucket in rows {
            out.extend_from_slice(&(bucket as u32).to_le_bytes());
            for weight in &self.weights[bucket * classes..(bucket + 1) * classes] {
                out.extend_from_slice(&weight.to_le_bytes());
            }
        }
        out
    }

    /// Reads a model file written by [`LinearModel::to_bytes`].
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Self, AnalyzeError> {
        let bad = |problem: String| AnalyzeError::BadModel {
            model: name.to_string(),
            problem,
        };
        let mut reader = Reader { bytes, at: 0 };
        let magic = reader
            .take(8)
            .ok_or_else(|| bad("the file is shorter than its magic".into()))?;
        if magic != MAGIC {
            return Err(bad(
                "it does not start with SWYMODEL; is this a model file?".into(),
            ));
        }
        let format = reader
            .u32()
            .ok_or_else(|| bad("truncated before the format".into()))?;
        if format != FORMAT_VERSION {
            return Err(bad(format!(
                "format version {format}, this build reads {FORMAT_VERSION}; retrain with `switchyard train`"
            )));
        }
        let header_len = reader
            .u32()
            .ok_or_else(|| bad("truncated header length".into()))?;
        let header_bytes = reader
            .take(header_len as usize)
            .ok_or_else(|| bad("truncated header".into()))?;
        let header: ModelHeader = serde_json::from_slice(header_bytes)
            .map_err(|e| bad(format!("its header is not valid JSON: {e}")))?;
        if header.features != crate::features::FEATURES_VERSION {
            return Err(bad(format!(
                "trained with features {}, this build computes {}; retrain with `switchyard train`",
                header.features,
                crate::features::FEATURES_VERSION
            )));
        }
        if !(8..=24).contains(&header.hash_bits) || header.classes.len() < 2 {
            return Err(bad("hash_bits or classes out of range".into()));
        }
        let classes = header.classes.len();
        let dim = 1usize << header.hash_bits;
        let mut weights = vec![0f32; dim * classes];
        let rows = reader
            .u32()
            .ok_or_else(|| bad("truncated row count".into()))?;
        for _ in 0..rows {
            let bucket = reader.u32().ok_or_else(|| bad("truncated rows".into()))? as usize;
            if bucket >= dim {
                return Err(bad(format!("bucket {bucket} is outside 0..{dim}")));
            }
            for class in 0..classes {
                let weight = reader.f32().ok_or_else(|| bad("truncated rows".into()))?;
                weights[bucket * classes + class] = weight;
            }
        }
        if reader.at != bytes.len() {
            return Err(bad(format!("{} trailing bytes", bytes.len() - reader.at)));
        }
        LinearModel::from_parts(header, weights)
    }
}

/// Softmax of `scores / temperature`, in place.
pub fn softmax_in_place(scores: &mut [f32], temperature: f32) {
    let temperature = if temperature > 0.0 { temperature } else { 1.0 };
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = ((*s - max) / temperature).exp();
        sum += *s;
    }
    for s in scores.iter_mut() {
        *s /= sum;
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(len)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    fn u32(&mut self) -> Option<u32> {
        let raw = self.take(4)?;
        Some(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]))
    }

    fn f32(&mut self) -> Option<f32> {
        self.u32().map(f32::from_bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_domain::VaderScores;

    fn header(bits: u32) -> ModelHeader {
        ModelHeader {
            name: "test-lr".into(),
            version: "1".into(),
            task: "test".into(),
            classes: vec!["a".into(), "b".into()],
            hash_bits: bits,
            features: crate::features::FEATURES_VERSION.into(),
            temperature: 1.0,
            training: "unit test".into(),
            licence: "none".into(),
        }
    }

    #[test]
    fn round_trips_bytes_exactly() {
        let mut weights = vec![0f32; 2 << 10];
        weights[6] = 1.5;
        weights[7] = -0.25;
        weights[100] = 3.0;
        let model = LinearModel::from_parts(header(10), weights).unwrap();
        let bytes = model.to_bytes();
        let again = LinearModel::from_bytes("test", &bytes).unwrap();
        assert_eq!(again.to_bytes(), bytes);
        assert_eq!(again.weights, model.weights);
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for bytes in [
            &b""[..],
            b"SWYMODEL",
            b"NOTAMODELATALL",
            b"SWYMODEL\x01\0\0\0\xff\xff\xff\xff",
        ] {
            assert!(LinearModel::from_bytes("x", bytes).is_err());
        }
        let model = LinearModel::from_parts(header(10), vec![0.0; 2 << 10]).unwrap();
        let mut bytes = model.to_bytes();
        bytes.push(0);
        assert!(LinearModel::from_bytes("x", &bytes).is_err());
    }

    #[test]
    fn predicts_and_explains() {
        let mut features = Features::new();
        features.extract("terrible delay", &VaderScores::default());
        let mut weights = vec![0f32; 2 << 12];
        let model_probe = LinearModel::from_parts(header(12), weights.clone()).unwrap();
        let bucket = model_probe.bucket(features.items[0].hash);
        weights[bucket * 2 + 1] = 4.0;
        let model = LinearModel::from_parts(header(12), weights).unwrap();
        let prediction = model.predict(&features);
        assert_eq!(prediction.label, "b");
        assert!(prediction.confidence > 0.9);
        assert_eq!(prediction.explain[0].feature, "terrible");
        assert_eq!(prediction.model, "test-lr@1");
    }
}
