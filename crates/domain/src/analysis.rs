//! What the analysis layer says about a post. The JSON shape is a public contract:
//! `analysis.sentiment.vader = {neg, neu, pos, compound}`, `analysis.language`, and for every task
//! `analysis.<task>.label / .confidence / .explain / .model`.

use crate::rounding::RoundHalfAway;
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

/// VADER's four scores, exactly as the reference implementation computes them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct VaderScores {
    pub neg: f64,
    pub neu: f64,
    pub pos: f64,
    pub compound: f64,
}

/// One feature's push on a decision, for explanations ("no response" → complaint +1.3).
///
/// Written as `{"feature": …, "weight": …}`; also read from the `[feature, weight]` pair that
/// rows stored between the object form and [`Analysis::write_json_stored`] hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "ContributionForm")]
pub struct Contribution {
    pub feature: SmolStr,
    pub weight: f32,
}

/// The two JSON forms a [`Contribution`] is read from.
#[derive(Deserialize)]
#[serde(untagged)]
enum ContributionForm {
    Object { feature: SmolStr, weight: f32 },
    Pair(SmolStr, f32),
}

impl From<ContributionForm> for Contribution {
    fn from(form: ContributionForm) -> Contribution {
        match form {
            ContributionForm::Object { feature, weight }
            | ContributionForm::Pair(feature, weight) => Contribution { feature, weight },
        }
    }
}

/// A probability as results report it: rounded to 4 decimals (half away from zero). More digits
/// would only be noise (the shipped models' weights are quantised to ≈ 4.5 significant digits),
/// and a 4-decimal number is written to JSON without the float formatter.
pub fn round_confidence(probability: f32) -> f32 {
    (probability * 10_000.0).round_half_away() / 10_000.0
}

/// A classifier's answer: label, how sure, which model, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub label: SmolStr,
    pub confidence: f32,
    /// Model name and version, e.g. `complaint-lr@2026.11.1`.
    pub model: SmolStr,
    /// The features or rules that moved the decision most, strongest first.
    #[serde(default)]
    pub explain: Vec<Contribution>,
}

/// Sentiment: the VADER scores plus the customer-care model's label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentimentResult {
    pub vader: VaderScores,
    /// `positive`, `neutral` or `negative`.
    pub label: SmolStr,
    pub confidence: f32,
    pub model: SmolStr,
    #[serde(default)]
    pub explain: Vec<Contribution>,
}

impl SentimentResult {
    /// VADER's scores with the customer-care model's prediction.
    pub fn new(vader: VaderScores, prediction: Prediction) -> Self {
        SentimentResult {
            vader,
            label: prediction.label,
            confidence: prediction.confidence,
            model: prediction.model,
            explain: prediction.explain,
        }
    }

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
            label: SmolStr::new_static(label),
            confidence: vader.compound.abs().max(0.5) as f32,
            model: SmolStr::new_static("vader@3.3.2"),
            explain: Vec::new(),
        }
    }
}

/// Everything the analysis layer adds to a post.
///
/// Serialised as an object (the public shape); read from that object or from the store's
/// compact array ([`Analysis::write_json_stored`]). `remote = "Self"` makes the derives
/// inherent functions that the trait impls below wrap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Analysis {
    /// ISO 639-1 code (`en`, `de`…), or `und` when undetermined.
    pub language: SmolStr,
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

impl Serialize for Analysis {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Analysis::serialize(self, serializer)
    }
}

impl<'de> Deserialize<'de> for Analysis {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Either;
        impl<'de> serde::de::Visitor<'de> for Either {
            type Value = Analysis;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an analysis object or the store's compact analysis array")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Analysis, A::Error> {
                Analysis::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Analysis, A::Error> {
                crate::stored_analysis::read_stored(seq)
            }
        }
        deserializer.deserialize_any(Either)
    }
}

impl Analysis {
    /// Appends exactly what `serde_json::to_writer(out, self)` writes (same keys, order and
    /// number formatting; test `write_json_matches_serde`), about five times faster: keys and
    /// plain strings are copied instead of escaped byte by byte. `switchyard analyze` writes one
    /// of these per post, so this is on its hot path.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"language\":");
        json_str(out, &self.language);
        out.extend_from_slice(b",\"language_confidence\":");
        json_number(out, self.language_confidence);
        out.extend_from_slice(b",\"sentiment\":{\"vader\":{\"neg\":");
        let vader = &self.sentiment.vader;
        json_number(out, vader.neg);
        out.extend_from_slice(b",\"neu\":");
        json_number(out, vader.neu);
        out.extend_from_slice(b",\"pos\":");
        json_number(out, vader.pos);
        out.extend_from_slice(b",\"compound\":");
        json_number(out, vader.compound);
        out.extend_from_slice(b"},");
        json_prediction_fields(
            out,
            &self.sentiment.label,
            self.sentiment.confidence,
            &self.sentiment.model,
            &self.sentiment.explain,
        );
        out.push(b'}');
        for (key, prediction) in [
            (&b",\"complaint\":"[..], &self.complaint),
            (b",\"intent\":", &self.intent),
            (b",\"reason\":", &self.reason),
            (b",\"urgency\":", &self.urgency),
            (b",\"toxicity\":", &self.toxicity),
        ] {
            if let Some(p) = prediction {
                out.extend_from_slice(key);
                out.push(b'{');
                json_prediction_fields(out, &p.label, p.confidence, &p.model, &p.explain);
                out.push(b'}');
            }
        }
        out.push(b'}');
    }

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

/// `"label":…,"confidence":…,"model":…,"explain":[…]` as serde writes a prediction's fields.
fn json_prediction_fields(
    out: &mut Vec<u8>,
    label: &str,
    confidence: f32,
    model: &str,
    explain: &[Contribution],
) {
    out.extend_from_slice(b"\"label\":");
    json_str(out, label);
    out.extend_from_slice(b",\"confidence\":");
    json_number(out, confidence);
    out.extend_from_slice(b",\"model\":");
    json_str(out, model);
    out.extend_from_slice(b",\"explain\":[");
    for (i, contribution) in explain.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"feature\":");
        json_str(out, &contribution.feature);
        out.extend_from_slice(b",\"weight\":");
        json_number(out, contribution.weight);
        out.push(b'}');
    }
    out.push(b']');
}

/// Bytes a JSON string cannot hold as they are: control characters, `"` and `\\`.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Whether `bytes` can go between JSON quotes as they are: no control character, `"` or `\\`.
/// Eight bytes at a time (these strings, labels and feature names, are short: too short for a
/// vector loop, long enough for this).
fn is_plain(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Non-zero exactly when some byte of `x` is below `n` (n ≤ 128; the classic bit trick).
    let has_below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    let mut found = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        found |= has_below(x, 0x20)
            | has_below(x ^ (ONES * u64::from(b'"')), 1)
            | has_below(x ^ (ONES * u64::from(b'\\')), 1);
    }
    found == 0
        && !chunks
            .remainder()
            .iter()
            .any(|&b| NEEDS_ESCAPE[usize::from(b)])
}

/// A JSON string: copied between quotes when nothing in it needs escaping, else serde's.
pub(crate) fn json_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    if is_plain(bytes) {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    } else if bytes.iter().all(|&b| b >= 0x20) {
        // Only quotes and backslashes to escape (feature names such as `starts with "<user>"`):
        // serde_json writes them as `\"` and `\\`, and so does this.
        out.reserve(bytes.len() + 8);
        out.push(b'"');
        for &byte in bytes {
            if byte == b'"' || byte == b'\\' {
                out.push(b'\\');
            }
            out.push(byte);
        }
        out.push(b'"');
    } else {
        // Control characters: serde's escapes. Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, text);
    }
}

/// The numbers that [`json_number`] writes without the float formatter are multiples of `1 / SCALE`.
const SCALE: i64 = 10_000;

/// A float that [`json_number`] writes without the float formatter when it has at most
/// 4 decimals: `f32` (confidences, see [`round_confidence`], and explanation weights with 3
/// decimals; f32 steps stay below 0.0001 under 1,000, so two 4-decimal values are never the
/// same float and the decimal form is the shortest one) and `f64` (VADER's scores).
pub(crate) trait JsonFloat: Serialize + Copy {
    /// `Some(k)` when the value is exactly the float nearest to `k / 10,000` and small enough
    /// (|value| < 1,000) that no shorter decimal maps to the same float.
    fn scaled(self) -> Option<i64>;
}

impl JsonFloat for f64 {
    #[inline]
    fn scaled(self) -> Option<i64> {
        // Not finite or too large: the formatter decides.
        if !self.is_finite() || self.abs() >= 1_000.0 {
            return None;
        }
        let scale = SCALE as f64;
        let k = (self * scale).round_half_away();
        // -0.0 too (serde keeps its sign; `write_scaled` writes 0 as `0.0`). Zeros are common
        // (VADER's shares), so +0.0 stays on this path: a branch on `== 0.0` mispredicted.
        (k / scale == self && !(k == 0.0 && self.is_sign_negative())).then_some(k as i64)
    }
}

impl JsonFloat for f32 {
    /// Without a division (most of a post's numbers are `f32`, and a division's latency sat on
    /// this path): `self × 10,000` is exact in `f64`, and `self` is the `f32` nearest to
    /// `k / 10,000` exactly when `|self × 10,000 − k|` is below 10,000 × half the spacing of
    /// `f32`s around `self` (the smaller spacing at a power of two; an exact tie is left to the
    /// formatter, as are zeros and values too small to have a normal spacing).
    #[inline]
    fn scaled(self) -> Option<i64> {
        let bits = self.abs().to_bits();
        let exponent = bits >> 23;
        // Not finite, too large, zero or tiny: the formatter decides.
        if !self.is_finite() || self.abs() >= 1_000.0 || exponent <= 23 {
            return None;
        }
        let spacing = f32::from_bits((exponent - 23) << 23);
        let half_below = if bits & 0x7F_FFFF == 0 {
            spacing / 4.0
        } else {
            spacing / 2.0
        };
        let exact = f64::from(self) * SCALE as f64;
        let k = exact.round_half_away();
        ((exact - k).abs() < f64::from(half_below) * SCALE as f64).then_some(k as i64)
    }
}

/// A number exactly as serde_json formats it (`null` when not finite). Explanation weights,
/// confidences and VADER's scores are rounded to 3–4 decimals, and for those the shortest
/// round-trip form that serde_json prints is the decimal itself with trailing zeros trimmed:
/// written here directly, the float formatter only runs for the rest (tests
/// `fast_numbers_match_serde`).
pub(crate) fn json_number<N: JsonFloat>(out: &mut Vec<u8>, number: N) {
    match number.scaled() {
        Some(k) => write_scaled(out, k),
        // Writing a number into a Vec cannot fail.
        None => {
            let _ = serde_json::to_writer(&mut *out, &number);
        }
    }
}

/// `k / 10,000` (|k| < 10,000,000) as `[-]int.frac`, trailing zeros of the fraction trimmed (at
/// least one digit). Every digit is written to a fixed layout and the bytes to keep are chosen
/// by arithmetic, not branches: how many digits a number has is data, and branches on it
/// mispredicted several times per post. Every division is by a constant (a multiplication).
#[inline]
fn write_scaled(out: &mut Vec<u8>, k: i64) {
    let digit = |value: u64| b'0' + (value % 10) as u8;
    let magnitude = k.unsigned_abs().min(9_999_999);
    let int = magnitude / SCALE as u64;
    let frac = magnitude % SCALE as u64;
    // Layout: sign slot, three integer digits, '.', four fraction digits.
    let mut buf = [
        b'-',
        digit(int / 100),
        digit(int / 10),
        digit(int),
        b'.',
        digit(frac / 1_000),
        digit(frac / 100),
        digit(frac / 10),
        digit(frac),
    ];
    let int_digits = 1 + usize::from(int >= 10) + usize::from(int >= 100);
    let trailing_zeros = usize::from(frac.is_multiple_of(10))
        + usize::from(frac.is_multiple_of(100))
        + usize::from(frac.is_multiple_of(1_000));
    let first_digit = 4 - int_digits;
    let start = first_digit - usize::from(k < 0);
    let end = buf.len() - trailing_zeros;
    // The sign slot sits right before the first kept digit.
    buf[first_digit - 1] = b'-';
    out.extend_from_slice(&buf[start..end]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prediction(label: &str, explain: &[(&str, f32)]) -> Prediction {
        Prediction {
            label: label.into(),
            confidence: 0.912_345_6,
            model: "x-lr@2026.11.23".into(),
            explain: explain
                .iter()
                .map(|(feature, weight)| Contribution {
                    feature: (*feature).into(),
                    weight: *weight,
                })
                .collect(),
        }
    }

    #[test]
    fn fast_numbers_match_serde() {
        let mut out = Vec::new();
        let check = |out: &mut Vec<u8>, serde: String| {
            assert_eq!(String::from_utf8(std::mem::take(out)).unwrap(), serde);
        };
        for k in -300_000i32..=300_000 {
            let value = k as f32 / 1_000.0;
            json_number(&mut out, value);
            check(&mut out, serde_json::to_string(&value).unwrap());
            let value = k as f32 / 10_000.0;
            json_number(&mut out, value);
            check(&mut out, serde_json::to_string(&value).unwrap());
            let value = round_confidence(k as f32 / 300_000.0 + 0.000_012_3);
            json_number(&mut out, value);
            check(&mut out, serde_json::to_string(&value).unwrap());
            let value = k as f64 / 10_000.0;
            json_number(&mut out, value);
            check(&mut out, serde_json::to_string(&value).unwrap());
        }
        // Arbitrary floats, most of them not 4-decimal numbers: the fast path must give way.
        let mut bits = 0x3000_0000u32;
        while bits < 0x4500_0000 {
            for value in [f32::from_bits(bits), -f32::from_bits(bits)] {
                json_number(&mut out, value);
                check(&mut out, serde_json::to_string(&value).unwrap());
            }
            bits += 0x0000_1F3B;
        }
        for value in [
            0.0f32,
            -0.0,
            0.5,
            -0.5,
            1.0,
            512.0,
            0.000_1,
            999.999_9,
            0.945_421_4,
            1e-7,
            999.9995,
            1_000.0,
            12_345.678,
            f32::NAN,
        ] {
            json_number(&mut out, value);
            check(&mut out, serde_json::to_string(&value).unwrap());
        }
        for value in [
            0.0f64,
            -0.0,
            -0.807_123_456_789,
            1e-9,
            999.999_95,
            1e300,
            f64::INFINITY,
        ] {
            json_number(&mut out, value);
            check(&mut out, serde_json::to_string(&value).unwrap());
        }
    }

    #[test]
    fn plain_strings_are_told_from_those_needing_escapes() {
        let plain = [
            "",
            "a",
            "positive",
            "starts with <user>",
            "café 😀 naïve",
            "0123456789abcdef",
        ];
        for text in plain {
            assert!(is_plain(text.as_bytes()), "{text:?}");
        }
        for bad in [
            "\"",
            "a\\b",
            "tab\there",
            "0123456789\"abcdef",
            "01234567\u{1f}",
            "\n",
        ] {
            assert!(!is_plain(bad.as_bytes()), "{bad:?}");
        }
        // Every byte value at every position of a 12-byte string.
        for byte in 0..=255u8 {
            for at in 0..12 {
                let mut bytes = *b"abcdefghijkl";
                bytes[at] = byte;
                assert_eq!(
                    is_plain(&bytes),
                    !NEEDS_ESCAPE[usize::from(byte)],
                    "{byte} at {at}"
                );
            }
        }
    }

    #[test]
    fn write_json_matches_serde() {
        let mut analysis = Analysis {
            language: "en".into(),
            language_confidence: 0.945_421_4,
            sentiment: SentimentResult::from_vader(VaderScores {
                neg: 0.0,
                neu: 0.622,
                pos: 0.378,
                compound: -0.807_123_456_789,
            }),
            complaint: Some(prediction(
                "complaint",
                &[("no response", 1.25), ("a \"quoted\" \\ word", -0.5)],
            )),
            intent: None,
            reason: Some(prediction("delay", &[])),
            urgency: Some(prediction("low", &[("tab\there\nnewline", 3.0)])),
            toxicity: Some(prediction(
                "not_offensive",
                &[("😡 emoji", 1e-7), ("nan", f32::NAN)],
            )),
        };
        let mut cases = vec![analysis.clone()];
        analysis.sentiment.explain = vec![Contribution {
            feature: "starts with \"<user>\"".into(),
            weight: f32::INFINITY,
        }];
        analysis.complaint = None;
        analysis.toxicity = None;
        analysis.language_confidence = 0.0;
        cases.push(analysis);
        for case in cases {
            let mut ours = Vec::new();
            case.write_json(&mut ours);
            let serde = serde_json::to_vec(&case).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(serde.clone()).unwrap()
            );
        }
    }

    #[test]
    fn the_object_form_reads_back_with_either_explanation_shape() {
        let object = r#"{"language":"en","language_confidence":0.9,"sentiment":{"vader":{"neg":0.1,"neu":0.9,"pos":0.0,"compound":-0.3},"label":"negative","confidence":0.8,"model":"s@1","explain":[{"feature":"late","weight":1.5}]},"complaint":{"label":"complaint","confidence":0.7,"model":"c@1","explain":[["late",2.0]]}}"#;
        let analysis: Analysis = serde_json::from_str(object).unwrap();
        assert_eq!(analysis.sentiment.explain[0].feature, "late");
        assert_eq!(analysis.complaint.as_ref().unwrap().explain[0].weight, 2.0);
        assert_eq!(analysis.intent, None);
        let written = serde_json::to_string(&analysis).unwrap();
        assert!(written.starts_with(r#"{"language":"en","#), "{written}");
        assert_eq!(
            serde_json::from_str::<Analysis>(&written).unwrap(),
            analysis
        );
        let error = serde_json::from_str::<Analysis>("42")
            .unwrap_err()
            .to_string();
        assert!(error.contains("analysis object"), "{error}");
    }
}
