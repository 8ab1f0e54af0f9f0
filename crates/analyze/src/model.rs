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
    id: String,
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
        let id = format!("{}@{}", header.name, header.version);
        Ok(LinearModel {
            header,
            weights,
            mask,
            id,
        })
    }

    /// The dense weights, `weights[bucket * classes + class]`.
    pub fn dense_weights(&self) -> &[f32] {
        &self.weights
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.header.classes.len()
    }

    /// `name@version`, as results report it.
    pub fn id(&self) -> &str {
        &self.id
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
            model: self.id.clone(),
            explain: self.explain(features, scored.best),
        }
    }

    /// The features that pushed `class` up most, relative to the other classes' mean.
    pub fn explain(&self, features: &Features, class: usize) -> Vec<Contribution> {
        let classes = self.classes();
        let mut top = EMPTY_TOP;
        for (index, feature) in features.items.iter().enumerate() {
            if feature.origin == Origin::Dense(Dense::Bias) {
                continue;
            }
            let row = self.bucket(feature.hash) * classes;
            let push = push_towards(&self.weights[row..row + classes], class) * feature.value;
            insert_top(&mut top, push, index);
        }
        contributions(features, &top)
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

/// The best few (push, feature index) pairs seen so far, strongest first.
type Top = [(f32, usize); EXPLAIN_TOP];
const EMPTY_TOP: Top = [(0.0, usize::MAX); EXPLAIN_TOP];

/// How much a feature's weights favour `class` over the mean of the other classes.
#[inline]
fn push_towards(weights: &[f32], class: usize) -> f32 {
    let others = (weights.iter().sum::<f32>() - weights[class]) / (weights.len() - 1) as f32;
    weights[class] - others
}

#[inline]
fn insert_top(top: &mut Top, push: f32, index: usize) {
    if push <= top[EXPLAIN_TOP - 1].0 {
        return;
    }
    let mut at = EXPLAIN_TOP - 1;
    while at > 0 && top[at - 1].0 < push {
        top[at] = top[at - 1];
        at -= 1;
    }
    top[at] = (push, index);
}

/// Named contributions from the best pairs (features with the same name merged).
fn contributions(features: &Features, top: &Top) -> Vec<Contribution> {
    let mut explain: Vec<Contribution> = Vec::with_capacity(EXPLAIN_TOP);
    for (push, index) in top {
        if *index == usize::MAX {
            break;
        }
        let name = features.name(features.items[*index].origin);
        let push = (push * 1000.0).round() / 1000.0;
        if let Some(existing) = explain.iter_mut().find(|c| c.feature == name) {
            existing.weight += push;
            continue;
        }
        explain.push(Contribution {
            feature: name,
            weight: push,
        });
    }
    explain
}

/// Several models over the same features, their weights interleaved bucket by bucket so that
/// one feature costs one memory access for all of them (instead of one per model).
#[derive(Debug, Clone)]
pub struct ModelSet {
    ids: Vec<String>,
    labels: Vec<Vec<String>>,
    temperatures: Vec<f32>,
    offsets: Vec<usize>,
    stride: usize,
    mask: u64,
    table: Vec<f32>,
}

/// The most classes a [`ModelSet`] holds in total.
pub const MAX_SET_CLASSES: usize = 64;

impl ModelSet {
    /// Interleaves `models` (each keeps its own bucket count: a smaller model's row is repeated).
    pub fn new(models: &[LinearModel]) -> Result<ModelSet, AnalyzeError> {
        let stride: usize = models.iter().map(LinearModel::classes).sum();
        if models.is_empty() || stride > MAX_SET_CLASSES {
            return Err(AnalyzeError::BadModel {
                model: "model set".into(),
                problem: format!(
                    "{} models with {stride} classes in total; a set holds 1..{MAX_SET_CLASSES} classes",
                    models.len()
                ),
            });
        }
        let bits = models.iter().map(|m| m.header.hash_bits).max().unwrap_or(8);
        let dim = 1usize << bits;
        let mut table = vec![0f32; dim * stride];
        let mut offsets = Vec::with_capacity(models.len());
        let mut offset = 0;
        for model in models {
            offsets.push(offset);
            offset += model.classes();
        }
        for (bucket, row) in table.chunks_exact_mut(stride).enumerate() {
            for (model, offset) in models.iter().zip(&offsets) {
                let classes = model.classes();
                let source = model.bucket(bucket as u64) * classes;
                row[*offset..*offset + classes]
                    .copy_from_slice(&model.weights[source..source + classes]);
            }
        }
        Ok(ModelSet {
            ids: models.iter().map(|m| m.id.clone()).collect(),
            labels: models.iter().map(|m| m.header.classes.clone()).collect(),
            temperatures: models.iter().map(|m| m.header.temperature).collect(),
            offsets,
            stride,
            mask: (dim - 1) as u64,
            table,
        })
    }

    /// Every model's prediction (in the order given to [`ModelSet::new`]), the same as each
    /// model's [`LinearModel::predict`], in two passes over the features.
    pub fn predict_all(&self, features: &Features) -> Vec<Prediction> {
        let stride = self.stride;
        let mut scores = [0f32; MAX_SET_CLASSES];
        for feature in &features.items {
            let row = (feature.hash & self.mask) as usize * stride;
            let weights = &self.table[row..row + stride];
            for (score, weight) in scores[..stride].iter_mut().zip(weights) {
                *score += weight * feature.value;
            }
        }
        let models = self.offsets.len();
        let mut best = vec![(0usize, 0f32); models];
        for m in 0..models {
            let classes = self.labels[m].len();
            let probabilities = &mut scores[self.offsets[m]..self.offsets[m] + classes];
            softmax_in_place(probabilities, self.temperatures[m]);
            let mut winner = 0;
            for (i, p) in probabilities.iter().enumerate() {
                if *p > probabilities[winner] {
                    winner = i;
                }
            }
            best[m] = (winner, probabilities[winner]);
        }
        let mut tops = vec![EMPTY_TOP; models];
        for (index, feature) in features.items.iter().enumerate() {
            if feature.origin == Origin::Dense(Dense::Bias) {
                continue;
            }
            let row = (feature.hash & self.mask) as usize * stride;
            for m in 0..models {
                let start = row + self.offsets[m];
                let weights = &self.table[start..start + self.labels[m].len()];
                let push = push_towards(weights, best[m].0) * feature.value;
                insert_top(&mut tops[m], push, index);
            }
        }
        (0..models)
            .map(|m| Prediction {
                label: self.labels[m][best[m].0].clone(),
                confidence: best[m].1,
                model: self.ids[m].clone(),
                explain: contributions(features, &tops[m]),
            })
            .collect()
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
        let mut second_header = header(10);
        second_header.classes.push("c".into());
        let mut second_weights = vec![0f32; 3 << 10];
        second_weights[model.bucket(features.items[2].hash) % 1024 * 3 + 2] = 1.0;
        let second = LinearModel::from_parts(second_header, second_weights).unwrap();
        let set = ModelSet::new(&[model.clone(), second.clone()]).unwrap();
        let both = set.predict_all(&features);
        assert_eq!(both[0], model.predict(&features));
        assert_eq!(both[1], second.predict(&features));
    }
}
