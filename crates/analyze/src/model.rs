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
use std::ops::Range;
use switchyard_domain::{Contribution, Prediction, RoundHalfAway, SmolStr, round_confidence};

const MAGIC: &[u8; 8] = b"SWYMODEL";
const FORMAT_VERSION: u32 = 1;
/// How many contributing features an explanation lists at most.
pub const EXPLAIN_TOP: usize = 4;
/// Posts with up to this many features have their explanations chosen from a stack array of
/// pushes (longer ones feature by feature).
const EXPLAIN_BATCH: usize = 256;
const _: () = assert!(EXPLAIN_BATCH.is_multiple_of(EXPLAIN_TOP) && EXPLAIN_BATCH <= 1 << 16);

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

impl ModelHeader {
    /// `name@version`, as results report the model.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// A trained linear model: `weights[bucket * classes + class]`.
#[derive(Debug, Clone)]
pub struct LinearModel {
    pub header: ModelHeader,
    weights: Vec<f32>,
    mask: u64,
    id: SmolStr,
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
        let id = SmolStr::from(header.id());
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
            label: SmolStr::new(&self.header.classes[scored.best]),
            confidence: round_confidence(scored.probability),
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
        let file = ModelFile::parse(name, bytes)?;
        let classes = file.header.classes.len();
        let mut weights = vec![0f32; (1usize << file.header.hash_bits) * classes];
        file.for_each_row(&mut |bucket, row| {
            weights[bucket * classes..(bucket + 1) * classes].copy_from_slice(row);
        });
        LinearModel::from_parts(file.header, weights)
    }
}

/// A model's weights, visited row by row: what a [`ModelSet`] is built from.
pub trait ModelRows {
    /// The model's header (name, version, classes, bucket bits, temperature…).
    fn header(&self) -> &ModelHeader;
    /// Calls `visit(bucket, weights)` for every bucket with a non-zero weight (`weights` holds
    /// one weight per class).
    fn for_each_row(&self, visit: &mut dyn FnMut(usize, &[f32]));
}

impl ModelRows for LinearModel {
    fn header(&self) -> &ModelHeader {
        &self.header
    }

    fn for_each_row(&self, visit: &mut dyn FnMut(usize, &[f32])) {
        for (bucket, row) in self.weights.chunks_exact(self.classes()).enumerate() {
            if row.iter().any(|w| *w != 0.0) {
                visit(bucket, row);
            }
        }
    }
}

/// A model file, checked and read as it is stored (its header, then only the non-zero rows),
/// without expanding the weights into a dense table: the shipped models load straight into a
/// [`ModelSet`] from the bytes compiled into the binary.
#[derive(Debug, Clone)]
pub struct ModelFile<'a> {
    pub header: ModelHeader,
    /// The rows: `(u32 bucket, f32 × classes)` each, little-endian, buckets checked in range.
    rows: &'a [u8],
}

impl<'a> ModelFile<'a> {
    /// Checks a model file written by [`LinearModel::to_bytes`]: magic, format, header,
    /// feature definitions, shapes, every bucket in range, no trailing bytes.
    pub fn parse(name: &str, bytes: &'a [u8]) -> Result<ModelFile<'a>, AnalyzeError> {
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
        let rows = reader
            .u32()
            .ok_or_else(|| bad("truncated row count".into()))?;
        let row_bytes = (rows as usize)
            .checked_mul(4 * (1 + classes))
            .and_then(|len| reader.take(len))
            .ok_or_else(|| bad("truncated rows".into()))?;
        if reader.at != bytes.len() {
            return Err(bad(format!("{} trailing bytes", bytes.len() - reader.at)));
        }
        for row in row_bytes.chunks_exact(4 * (1 + classes)) {
            let bucket = le_u32(row) as usize;
            if bucket >= dim {
                return Err(bad(format!("bucket {bucket} is outside 0..{dim}")));
            }
        }
        Ok(ModelFile {
            header,
            rows: row_bytes,
        })
    }
}

impl ModelRows for ModelFile<'_> {
    fn header(&self) -> &ModelHeader {
        &self.header
    }

    fn for_each_row(&self, visit: &mut dyn FnMut(usize, &[f32])) {
        let classes = self.header.classes.len();
        let mut weights = vec![0f32; classes];
        // Each row: its bucket, then `classes` weights, all little-endian 32-bit.
        for row in self.rows.chunks_exact(4 * (1 + classes)) {
            let (bucket, cells) = row.split_at(4);
            for (weight, cell) in weights.iter_mut().zip(cells.chunks_exact(4)) {
                *weight = f32::from_bits(le_u32(cell));
            }
            visit(le_u32(bucket) as usize, &weights);
        }
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

/// The strongest positive pushes among `candidates` (feature indices, ascending), as
/// [`insert_top`] would keep them. Each candidate is merged in without a branch: a key packs a
/// positive push's `f32` bits (which order like the values) above the inverted index (so that of
/// two equal pushes the earlier feature ranks first), and the top keys are kept sorted by
/// min/max steps. Worth it only for a few candidates: over every feature it was slower.
fn top_of_candidates(pushes: &[f32], candidates: &[u16]) -> Top {
    let mut keys = [0u64; EXPLAIN_TOP];
    for &index in candidates {
        let push = pushes.get(usize::from(index)).copied().unwrap_or(0.0);
        let mut carried = if push > 0.0 {
            (u64::from(push.to_bits()) << 32) | u64::from(u32::MAX - u32::from(index))
        } else {
            0
        };
        for key in keys.iter_mut() {
            let stronger = (*key).max(carried);
            carried = (*key).min(carried);
            *key = stronger;
        }
    }
    keys.map(|key| {
        if key == 0 {
            (0.0, usize::MAX)
        } else {
            (
                f32::from_bits((key >> 32) as u32),
                (u32::MAX - key as u32) as usize,
            )
        }
    })
}

/// Named contributions from the best pairs (features with the same name merged).
fn contributions(features: &Features, top: &Top) -> Vec<Contribution> {
    let mut explain: Vec<Contribution> = Vec::with_capacity(EXPLAIN_TOP);
    for (push, index) in top {
        if *index == usize::MAX {
            break;
        }
        let name = features.name(features.items[*index].origin);
        let push = (push * 1000.0).round_half_away() / 1000.0;
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

/// Several models over the same features, ready to predict together: their weights are
/// interleaved bucket by bucket into one table, so that a feature costs ONE memory access for
/// every model instead of one per model (the table is far larger than the CPU caches, so these
/// accesses are what the models stage waits for).
///
/// Each model's weights are stored *centred*: the cell of class `c` holds `w_c` minus the mean
/// of the model's other classes' weights in that bucket, which is exactly the push towards `c`
/// that an explanation reports ([`LinearModel::explain`]). Scores over centred weights are
/// `(k·s_c − Σ_j s_j) / (k − 1)` for a model of `k` classes: the same softmax as the original
/// scores once the temperature is multiplied by `k / (k − 1)` (the `Σ_j s_j` term is the same
/// for every class and cancels). So an explanation reads one cell per feature.
///
/// The weights are quantised to `i16` with one scale per model (the model's largest centred
/// weight maps to ±32,767, so a weight keeps ≈ 4.5 significant digits) and each bucket's row is
/// padded to exactly one 64-byte cache line (32 columns). Probabilities differ from the `f32`
/// models' by ≈ 1e-4 (tests `predicts_and_explains` here and `the_set_agrees_with_each_model`
/// on real posts).
#[derive(Debug, Clone)]
pub struct ModelSet {
    /// Model ids and class labels as the predictions carry them (cloning a `SmolStr` copies or
    /// shares it: no allocation per prediction).
    ids: Vec<SmolStr>,
    labels: Vec<Vec<SmolStr>>,
    /// Each model's softmax temperature for centred scores (its own × `k / (k − 1)`).
    temperatures: Vec<f32>,
    /// The columns of each model in a row.
    columns: Vec<Range<usize>>,
    /// Multiplier from a quantised weight back to its model's `f32` (centred) weight, per
    /// column.
    column_scale: Row<f32>,
    mask: u64,
    table: Vec<Row<i16>>,
}

/// Columns in one row of a [`ModelSet`]: 32 × `i16` = one 64-byte cache line.
const ROW_COLUMNS: usize = 32;

/// One bucket's weights for every model (or per-column factors), aligned to a cache line.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct Row<T>([T; ROW_COLUMNS]);

/// The most classes a [`ModelSet`] holds in total.
pub const MAX_SET_CLASSES: usize = ROW_COLUMNS;
/// The most models a [`ModelSet`] holds.
pub const MAX_SET_MODELS: usize = 8;

/// Every model's winning class and its calibrated probability for one post
/// ([`ModelSet::score`]); [`ModelSet::predict`] turns one of them into a full prediction.
#[derive(Debug, Clone, Copy)]
pub struct SetScores {
    best: [(usize, f32); MAX_SET_MODELS],
}

impl SetScores {
    /// Model `m`'s winning class (an index into its labels) and that class's probability.
    pub fn best(&self, m: usize) -> (usize, f32) {
        self.best.get(m).copied().unwrap_or((0, 0.0))
    }
}

impl ModelSet {
    /// Centres, interleaves and quantises `models` (each keeps its own bucket count: a model
    /// with fewer buckets than the largest has its rows repeated).
    pub fn new(models: &[LinearModel]) -> Result<ModelSet, AnalyzeError> {
        let rows: Vec<&dyn ModelRows> = models.iter().map(|m| m as &dyn ModelRows).collect();
        ModelSet::from_rows(&rows)
    }

    /// [`ModelSet::new`] from any source of rows, such as model files read without expanding
    /// their weights ([`ModelFile`]): only the stored (non-zero) rows are visited, twice.
    pub fn from_rows(models: &[&dyn ModelRows]) -> Result<ModelSet, AnalyzeError> {
        let classes_of = |model: &&dyn ModelRows| model.header().classes.len();
        let stride: usize = models.iter().map(classes_of).sum();
        if models.is_empty() || models.len() > MAX_SET_MODELS || stride > MAX_SET_CLASSES {
            return Err(AnalyzeError::BadModel {
                model: "model set".into(),
                problem: format!(
                    "{} models with {stride} classes in total; a set holds 1 to {MAX_SET_MODELS} \
                     models with at most {MAX_SET_CLASSES} classes",
                    models.len()
                ),
            });
        }
        if let Some(model) = models
            .iter()
            .find(|m| classes_of(m) < 2 || !(8..=24).contains(&m.header().hash_bits))
        {
            return Err(AnalyzeError::BadModel {
                model: model.header().name.clone(),
                problem: "a model in a set needs 2 or more classes and hash_bits in 8..=24".into(),
            });
        }
        let bits = models
            .iter()
            .map(|m| m.header().hash_bits)
            .max()
            .unwrap_or(8);
        let dim = 1usize << bits;
        let mut table = vec![Row([0i16; ROW_COLUMNS]); dim];
        let mut columns = Vec::with_capacity(models.len());
        let mut column_scale = Row([0f32; ROW_COLUMNS]);
        let mut temperatures = Vec::with_capacity(models.len());
        let mut offset = 0;
        for model in models {
            let header = model.header();
            let classes = header.classes.len();
            let range = offset..offset + classes;
            offset += classes;
            // Pass 1: every stored row centred, kept flat, and the largest magnitude.
            let mut buckets = Vec::new();
            let mut centred = Vec::new();
            let mut largest = 0f32;
            model.for_each_row(&mut |bucket, row| {
                let k = row.len() as f32;
                let sum: f32 = row.iter().sum();
                buckets.push(bucket);
                for w in row {
                    let value = (k * w - sum) / (k - 1.0);
                    largest = largest.max(value.abs());
                    centred.push(value);
                }
            });
            let scale = if largest > 0.0 && largest.is_finite() {
                largest / f32::from(i16::MAX)
            } else {
                1.0
            };
            column_scale.0[range.clone()].fill(scale);
            // Pass 2: quantised into the model's columns. A smaller model's buckets repeat
            // through the table (its dimension divides the table's: both are powers of two).
            let model_dim = 1usize << header.hash_bits;
            let inverse = 1.0 / scale;
            for (&bucket, weights) in buckets.iter().zip(centred.chunks_exact(classes)) {
                for row in table.iter_mut().skip(bucket).step_by(model_dim) {
                    for (cell, weight) in row.0[range.clone()].iter_mut().zip(weights) {
                        *cell = round_to_i16(weight * inverse);
                    }
                }
            }
            let k = classes as f32;
            temperatures.push(header.temperature * k / (k - 1.0));
            columns.push(range);
        }
        Ok(ModelSet {
            ids: models
                .iter()
                .map(|m| SmolStr::from(m.header().id()))
                .collect(),
            labels: models
                .iter()
                .map(|m| m.header().classes.iter().map(SmolStr::new).collect())
                .collect(),
            temperatures,
            columns,
            column_scale,
            mask: (dim - 1) as u64,
            table,
        })
    }

    #[inline]
    fn row(&self, hash: u64) -> &Row<i16> {
        &self.table[(hash & self.mask) as usize]
    }

    /// Every model's prediction (in the order given to [`ModelSet::new`]), the same as each
    /// model's [`LinearModel::predict`] up to the quantisation.
    pub fn predict_all(&self, features: &Features) -> Vec<Prediction> {
        let scores = self.score(features);
        (0..self.columns.len())
            .map(|m| self.predict(features, &scores, m))
            .collect()
    }

    /// Every model's winner and its probability (no explanations yet: a caller that drops
    /// some models' results, such as a complaint reason for a post that is no complaint, asks
    /// [`ModelSet::predict`] only for the others).
    pub fn score(&self, features: &Features) -> SetScores {
        // The arithmetic covers only the columns in use, in whole 8-column steps (the shipped
        // models use 20 of 32: 24 columns, a quarter less work per feature than the full row).
        let used = self.columns.last().map_or(0, |range| range.end);
        if used <= 16 {
            self.score_over::<16>(features)
        } else if used <= 24 {
            self.score_over::<24>(features)
        } else {
            self.score_over::<ROW_COLUMNS>(features)
        }
    }

    /// The first `C` columns of a row (`C` ≤ [`ROW_COLUMNS`], checked by the caller; a larger
    /// `C` would read zeros, never panic).
    #[inline]
    fn columns_of<const C: usize>(&self, hash: u64) -> &[i16; C] {
        self.row(hash).0.first_chunk::<C>().unwrap_or(&[0; C])
    }

    fn score_over<const C: usize>(&self, features: &Features) -> SetScores {
        // Pass 0: touch every feature's row first. These loads depend on nothing, so the CPU
        // keeps as many cache misses in flight as it has fill buffers, where in pass 1 each load
        // waits behind a row's worth of arithmetic and fewer misses overlap (five models
        // 3.9 → 3.5 µs per post, docs/performance.md).
        let mut touched = 0i16;
        for feature in &features.items {
            touched ^= self.row(feature.hash).0[0];
        }
        std::hint::black_box(touched);
        // Pass 1: every model's scores at once (`C` columns, vectorised by the compiler).
        let mut sums = [0f32; C];
        for feature in &features.items {
            let row = self.columns_of::<C>(feature.hash);
            for (sum, weight) in sums.iter_mut().zip(row) {
                *sum += f32::from(*weight) * feature.value;
            }
        }
        let mut scores = [0f32; ROW_COLUMNS];
        for ((score, sum), scale) in scores.iter_mut().zip(sums).zip(&self.column_scale.0) {
            *score = sum * scale;
        }
        let mut best = [(0usize, 0f32); MAX_SET_MODELS];
        for ((best, range), temperature) in
            best.iter_mut().zip(&self.columns).zip(&self.temperatures)
        {
            let probabilities = &mut scores[range.clone()];
            softmax_in_place(probabilities, *temperature);
            // The first most probable class, by selects (which class wins is data).
            let first = probabilities.first().copied().unwrap_or(0.0);
            let (winner, probability) = probabilities.iter().enumerate().skip(1).fold(
                (0, first),
                |(winner, most), (i, p)| if *p > most { (i, *p) } else { (winner, most) },
            );
            *best = (winner, probability);
        }
        SetScores { best }
    }

    /// Model `m`'s prediction from `scores` ([`ModelSet::score`] of the same features): its
    /// label, probability, id, and the features that pushed the label most. An `m` outside the
    /// set gives an empty prediction.
    pub fn predict(&self, features: &Features, scores: &SetScores, m: usize) -> Prediction {
        let (Some(id), Some(labels), Some(range)) =
            (self.ids.get(m), self.labels.get(m), self.columns.get(m))
        else {
            return Prediction {
                label: SmolStr::default(),
                confidence: 0.0,
                model: SmolStr::default(),
                explain: Vec::new(),
            };
        };
        let (winner, probability) = scores.best(m);
        // The centred cell of the winning class is the feature's push towards it.
        let column = (range.start + winner).min(ROW_COLUMNS - 1);
        let push_of =
            |feature: &Feature| f32::from(self.row(feature.hash).0[column]) * feature.value;
        let mut top = EMPTY_TOP;
        let mut pushes = [0f32; EXPLAIN_BATCH];
        if features.items.len() <= EXPLAIN_BATCH {
            // Every feature's push, then the bias's cleared by its index (a test of each
            // feature's origin was a branch per feature and model).
            for (push, feature) in pushes.iter_mut().zip(&features.items) {
                *push = push_of(feature);
            }
            let is_bias = |index: &usize| {
                features
                    .items
                    .get(*index)
                    .is_some_and(|f| f.origin == Origin::Dense(Dense::Bias))
            };
            // The index extraction recorded, checked (the items are public and could have been
            // edited since), else a search.
            let bias = features.bias.filter(is_bias).or_else(|| {
                features
                    .items
                    .iter()
                    .position(|f| f.origin == Origin::Dense(Dense::Bias))
            });
            if let Some(push) = bias.and_then(|index| pushes.get_mut(index)) {
                *push = 0.0;
            }
            // A floor under the weakest push an explanation can list, found without a branch:
            // the smallest of EXPLAIN_TOP maxima over interleaved lanes (that many distinct
            // pushes, or zeros, so the EXPLAIN_TOP-th strongest positive push is at least as
            // strong). Only pushes at or above it become candidates for the top (a test per
            // feature and model there mispredicted about once per insertion).
            let used = features.items.len().div_ceil(EXPLAIN_TOP) * EXPLAIN_TOP;
            let mut maxima = [0f32; EXPLAIN_TOP];
            for lanes in pushes[..used].chunks_exact(EXPLAIN_TOP) {
                for (maximum, push) in maxima.iter_mut().zip(lanes) {
                    *maximum = if *push > *maximum { *push } else { *maximum };
                }
            }
            let floor = maxima.iter().fold(f32::INFINITY, |a, b| a.min(*b));
            // The pushes at or above the floor, gathered without a branch (always written,
            // kept by advancing the count), then offered in feature order.
            let mut candidates = [0u16; EXPLAIN_BATCH];
            let mut count = 0;
            for (index, push) in pushes[..features.items.len()].iter().enumerate() {
                candidates[count] = index as u16;
                count += usize::from(*push >= floor);
            }
            top = top_of_candidates(&pushes, &candidates[..count]);
        } else {
            for (index, feature) in features.items.iter().enumerate() {
                if feature.origin != Origin::Dense(Dense::Bias) {
                    insert_top(&mut top, push_of(feature), index);
                }
            }
        }
        let scale = self.column_scale.0[column];
        for (push, _) in &mut top {
            *push *= scale;
        }
        Prediction {
            label: labels.get(winner).cloned().unwrap_or_default(),
            confidence: round_confidence(probability),
            model: id.clone(),
            explain: contributions(features, &top),
        }
    }
}

/// Rounds half away from zero, saturating (`f32::round` is a slow library call on baseline
/// x86-64, and the table has millions of cells).
#[inline]
fn round_to_i16(value: f32) -> i16 {
    (value + 0.5f32.copysign(value)) as i16
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
        self.take(4).map(le_u32)
    }
}

/// The little-endian `u32` in the first four bytes of `raw` (callers pass four).
#[inline]
fn le_u32(raw: &[u8]) -> u32 {
    u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])
}

/// Asserts that a [`ModelSet`] prediction matches the `f32` model's: same label, confidence
/// within 1e-3, the same explanation features in the same order.
#[cfg(test)]
pub(crate) fn assert_agrees(quantised: &Prediction, exact: &Prediction, context: &str) {
    assert_eq!(quantised.label, exact.label, "{context}");
    assert!(
        (quantised.confidence - exact.confidence).abs() < 1e-3,
        "{context}: {} vs {}",
        quantised.confidence,
        exact.confidence
    );
    let names = |p: &Prediction| -> Vec<String> {
        p.explain.iter().map(|c| c.feature.to_string()).collect()
    };
    assert_eq!(names(quantised), names(exact), "{context}");
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
    fn a_set_from_files_equals_a_set_from_models() {
        let mut features = Features::new();
        features.extract("terrible delay, no refund", &VaderScores::default());
        let mut first = vec![0f32; 2 << 12];
        let mut second = vec![0f32; 3 << 10];
        for (i, feature) in features.items.iter().enumerate() {
            let weight = i as f32 * 0.37 - 1.5;
            first[(feature.hash & 0xFFF) as usize * 2 + i % 2] = weight;
            second[(feature.hash & 0x3FF) as usize * 3 + i % 3] = -weight;
        }
        let mut three = header(10);
        three.classes.push("c".into());
        let models = [
            LinearModel::from_parts(header(12), first).unwrap(),
            LinearModel::from_parts(three, second).unwrap(),
        ];
        let bytes: Vec<Vec<u8>> = models.iter().map(LinearModel::to_bytes).collect();
        let files: Vec<ModelFile> = bytes
            .iter()
            .map(|b| ModelFile::parse("test", b).unwrap())
            .collect();
        let rows: Vec<&dyn ModelRows> = files.iter().map(|f| f as &dyn ModelRows).collect();
        let from_files = ModelSet::from_rows(&rows).unwrap();
        let from_models = ModelSet::new(&models).unwrap();
        assert_eq!(from_files.table.len(), from_models.table.len());
        assert!(
            from_files
                .table
                .iter()
                .zip(&from_models.table)
                .all(|(a, b)| a.0 == b.0)
        );
        assert_eq!(
            from_files.predict_all(&features),
            from_models.predict_all(&features)
        );
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
        for (quantised, exact) in both
            .iter()
            .zip([model.predict(&features), second.predict(&features)])
        {
            assert_agrees(quantised, &exact, "terrible delay");
        }
    }
}
