//! Deterministic training of the sparse linear models: multinomial logistic regression fitted by
//! AdaGrad over hashed features, with a seeded shuffle, document-frequency pruning, class and
//! sample weights, and temperature calibration on held-out predictions. Single-threaded, so the
//! same data and settings always give the same bits.

use crate::features::Feature;
use crate::model::softmax_in_place;

/// Hyper-parameters of one training run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    /// Buckets = 2^hash_bits.
    pub hash_bits: u32,
    pub epochs: u32,
    pub learning_rate: f32,
    /// L2 penalty applied to a weight each time its feature is seen.
    pub l2: f32,
    /// Buckets seen in fewer training examples than this are dropped.
    pub min_df: u32,
    /// 0 = no class weighting, 1 = fully balanced, 0.5 = square-root balanced.
    pub class_balance: f32,
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            hash_bits: 18,
            epochs: 6,
            learning_rate: 0.2,
            l2: 1e-5,
            min_df: 2,
            class_balance: 0.5,
            seed: 20261123,
        }
    }
}

/// One training example: its hashed features, label index and weight.
#[derive(Debug, Clone)]
pub struct Example {
    pub features: Vec<(u64, f32)>,
    pub label: usize,
    pub weight: f32,
}

impl Example {
    /// An example from an extracted feature list.
    pub fn new(features: &[Feature], label: usize, weight: f32) -> Example {
        Example {
            features: features.iter().map(|f| (f.hash, f.value)).collect(),
            label,
            weight,
        }
    }
}

/// SplitMix64: a tiny, well-known deterministic generator for shuffles and folds.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Trains a model; returns dense weights `2^hash_bits × classes`.
pub fn fit(examples: &[Example], classes: usize, config: &TrainConfig) -> Vec<f32> {
    fit_with_prior(examples, classes, config, None)
}

/// Trains a model that may lean on outside knowledge: `prior` (one value per bucket, e.g. another
/// model's per-word weights) adds one derived feature per example, `Σ value · prior[bucket]`
/// over all its features (pruned ones included), whose learned weight per class is then folded
/// into every bucket (`weight[b][c] += w[c] · prior[b]`). The result is one plain linear model
/// of the usual shape, so it costs nothing at run time, and words never seen in training still
/// carry the prior's weight.
pub fn fit_with_prior(
    examples: &[Example],
    classes: usize,
    config: &TrainConfig,
    prior: Option<&[f32]>,
) -> Vec<f32> {
    let dim = 1usize << config.hash_bits;
    let mask = (dim - 1) as u64;
    if let Some(prior) = prior {
        assert_eq!(prior.len(), dim, "the prior must have one value per bucket");
    }
    let prior_scores: Vec<f32> = match prior {
        Some(prior) => examples
            .iter()
            .map(|e| {
                e.features
                    .iter()
                    .map(|(h, v)| v * prior[(h & mask) as usize])
                    .sum()
            })
            .collect(),
        None => vec![0.0; examples.len()],
    };
    // Document frequency per bucket, for pruning rare features.
    let mut df = vec![0u32; dim];
    let mut seen: Vec<usize> = Vec::new();
    for example in examples {
        seen.clear();
        seen.extend(example.features.iter().map(|(h, _)| (h & mask) as usize));
        seen.sort_unstable();
        seen.dedup();
        for bucket in &seen {
            df[*bucket] += 1;
        }
    }
    let compact: Vec<Vec<(u32, f32)>> = examples
        .iter()
        .map(|e| {
            e.features
                .iter()
                .map(|(h, v)| ((h & mask) as u32, *v))
                .filter(|(b, _)| df[*b as usize] >= config.min_df)
                .collect()
        })
        .collect();
    // Class weights: (n / (classes · n_c))^balance.
    let mut counts = vec![0f64; classes];
    for example in examples {
        counts[example.label] += f64::from(example.weight);
    }
    let total: f64 = counts.iter().sum();
    let class_weight: Vec<f32> = counts
        .iter()
        .map(|c| {
            if *c == 0.0 {
                1.0
            } else {
                (total / (classes as f64 * c)).powf(f64::from(config.class_balance)) as f32
            }
        })
        .collect();

    let mut weights = vec![0f32; dim * classes];
    let mut squares = vec![0f32; dim * classes];
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = SplitMix::new(config.seed);
    let mut probabilities = vec![0f32; classes];
    let mut prior_weights = vec![0f32; classes];
    let mut prior_squares = vec![0f32; classes];
    for _ in 0..config.epochs {
        rng.shuffle(&mut order);
        for &index in &order {
            let features = &compact[index];
            let example = &examples[index];
            let prior_score = prior_scores[index];
            for (p, w) in probabilities.iter_mut().zip(&prior_weights) {
                *p = w * prior_score;
            }
            for (bucket, value) in features {
                let row = *bucket as usize * classes;
                for (p, w) in probabilities.iter_mut().zip(&weights[row..row + classes]) {
                    *p += w * value;
                }
            }
            softmax_in_place(&mut probabilities, 1.0);
            let scale = example.weight * class_weight[example.label];
            for (class, p) in probabilities.iter_mut().enumerate() {
                let target = if class == example.label { 1.0 } else { 0.0 };
                *p = (*p - target) * scale;
            }
            for (bucket, value) in features {
                let row = *bucket as usize * classes;
                for (class, error) in probabilities.iter().enumerate() {
                    let at = row + class;
                    let gradient = error * value + config.l2 * weights[at];
                    if gradient == 0.0 {
                        continue;
                    }
                    squares[at] += gradient * gradient;
                    weights[at] -= config.learning_rate * gradient / (squares[at].sqrt() + 1e-6);
                }
            }
            if prior_score != 0.0 {
                for (class, error) in probabilities.iter().enumerate() {
                    let gradient = error * prior_score + config.l2 * prior_weights[class];
                    prior_squares[class] += gradient * gradient;
                    prior_weights[class] -=
                        config.learning_rate * gradient / (prior_squares[class].sqrt() + 1e-6);
                }
            }
        }
    }
    if let Some(prior) = prior {
        for (row, p) in weights.chunks_exact_mut(classes).zip(prior) {
            if *p != 0.0 {
                for (w, class_weight) in row.iter_mut().zip(&prior_weights) {
                    *w += class_weight * p;
                }
            }
        }
    }
    weights
}

/// `(1 − share) · a + share · b`, weight by weight: two fitted models blended into one linear
/// model of the same shape.
pub fn blend(a: &[f32], b: &[f32], share: f32) -> Vec<f32> {
    assert_eq!(a.len(), b.len(), "blended models must have the same shape");
    a.iter()
        .zip(b)
        .map(|(x, y)| (1.0 - share) * x + share * y)
        .collect()
}

/// Raw scores of an example under dense weights.
pub fn scores(
    weights: &[f32],
    hash_bits: u32,
    classes: usize,
    features: &[(u64, f32)],
) -> Vec<f32> {
    let mask = (1u64 << hash_bits) - 1;
    let mut out = vec![0f32; classes];
    for (hash, value) in features {
        let row = (hash & mask) as usize * classes;
        for (s, w) in out.iter_mut().zip(&weights[row..row + classes]) {
            *s += w * value;
        }
    }
    out
}

/// The softmax temperature (0.5 … 4) that minimises the negative log-likelihood of held-out
/// `(scores, label)` pairs: a one-parameter calibration.
pub fn fit_temperature(held_out: &[(Vec<f32>, usize)]) -> f32 {
    if held_out.is_empty() {
        return 1.0;
    }
    let mut best = (f64::INFINITY, 1.0f32);
    for step in 0..=70 {
        let temperature = 0.5 + step as f32 * 0.05;
        let mut nll = 0f64;
        for (scores, label) in held_out {
            let mut p = scores.clone();
            softmax_in_place(&mut p, temperature);
            nll -= f64::from(p[*label].max(1e-7)).ln();
        }
        if nll < best.0 {
            best = (nll, temperature);
        }
    }
    best.1
}

/// Index of the largest value.
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Vec<Example> {
        let mut examples = Vec::new();
        for i in 0..200u64 {
            let label = (i % 2) as usize;
            let signal = if label == 0 { 11 } else { 22 };
            examples.push(Example {
                features: vec![(signal, 1.0), (1000 + i, 1.0), (7, 1.0)],
                label,
                weight: 1.0,
            });
        }
        examples
    }

    #[test]
    fn learns_a_separable_problem() {
        let config = TrainConfig {
            hash_bits: 12,
            ..TrainConfig::default()
        };
        let weights = fit(&toy(), 2, &config);
        let s0 = scores(&weights, 12, 2, &[(11, 1.0), (7, 1.0)]);
        let s1 = scores(&weights, 12, 2, &[(22, 1.0), (7, 1.0)]);
        assert_eq!(argmax(&s0), 0);
        assert_eq!(argmax(&s1), 1);
        // Rare features (seen once) were pruned.
        let rare = scores(&weights, 12, 2, &[(1000, 1.0)]);
        assert_eq!(rare, vec![0.0, 0.0]);
    }

    #[test]
    fn is_deterministic() {
        let config = TrainConfig {
            hash_bits: 12,
            ..TrainConfig::default()
        };
        assert_eq!(fit(&toy(), 2, &config), fit(&toy(), 2, &config));
    }

    #[test]
    fn a_prior_is_learned_as_one_scale_and_folded_into_every_bucket() {
        let config = TrainConfig {
            hash_bits: 12,
            ..TrainConfig::default()
        };
        // The prior agrees with the data on buckets 11 and 22 and also knows bucket 33, which
        // no training example has.
        let mut prior = vec![0f32; 1 << 12];
        prior[11] = -1.0;
        prior[22] = 1.0;
        prior[33] = 2.0;
        let weights = fit_with_prior(&toy(), 2, &config, Some(&prior));
        let unseen = scores(&weights, 12, 2, &[(33, 1.0)]);
        assert_eq!(argmax(&unseen), 1, "{unseen:?}");
        assert_eq!(argmax(&scores(&weights, 12, 2, &[(11, 1.0)])), 0);
        // Buckets the prior does not know keep the plain model's behaviour: the rare ones
        // stay pruned.
        assert_eq!(scores(&weights, 12, 2, &[(1000, 1.0)]), vec![0.0, 0.0]);
        // No prior is the plain fit, bit for bit.
        assert_eq!(
            fit_with_prior(&toy(), 2, &config, None),
            fit(&toy(), 2, &config)
        );
    }

    #[test]
    fn blend_interpolates_weight_by_weight() {
        assert_eq!(blend(&[4.0, 0.0], &[0.0, 8.0], 0.25), vec![3.0, 2.0]);
    }

    #[test]
    fn temperature_grows_for_overconfident_scores() {
        let held_out: Vec<(Vec<f32>, usize)> = (0..100)
            .map(|i| (vec![10.0, 0.0], usize::from(i % 3 == 0)))
            .collect();
        assert!(fit_temperature(&held_out) > 2.0);
    }
}
