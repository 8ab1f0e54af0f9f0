//! The store's compact form of an [`Analysis`]: one positional JSON array with each explanation
//! feature written once per post, ≈ half the bytes of the object form (the analysis is a stored
//! post's largest column, and an import's database cost follows the bytes).
//!
//! ```text
//! [2, language, language_confidence, neg, neu, pos, compound,
//!  [feature, …],                                   every feature named by an explanation, once
//!  sentiment, complaint, intent, reason, urgency, toxicity]
//! ```
//! Each prediction is `[label, confidence, model, i, weight, i, weight, …]` (`i` indexes the
//! feature list, strongest push first) or `null` when the task gave none (never for sentiment).
//! Numbers are written as [`Analysis::write_json`] writes them; a number JSON cannot hold (NaN,
//! infinity) is written `null` and read back as NaN.
//!
//! Reading an [`Analysis`] accepts this form and the object form (what the API returns, and
//! what rows stored before this form hold), so stored data never needs rewriting.

use crate::analysis::{
    Analysis, Contribution, Prediction, SentimentResult, VaderScores, json_number, json_str,
};
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use smol_str::SmolStr;
use std::fmt;

/// The first element of the array: which positional layout follows.
const FORMAT_VERSION: u8 = 2;

impl Analysis {
    /// Appends the store's compact form of this analysis (the module documentation above).
    pub fn write_json_stored(&self, out: &mut Vec<u8>) {
        let mut features: Vec<&str> = Vec::with_capacity(16);
        let predictions = [
            Some((
                self.sentiment.label.as_str(),
                self.sentiment.confidence,
                self.sentiment.model.as_str(),
                self.sentiment.explain.as_slice(),
            )),
            task(&self.complaint),
            task(&self.intent),
            task(&self.reason),
            task(&self.urgency),
            task(&self.toxicity),
        ];
        // Each push's index in `features`, in prediction order.
        let mut indexes: Vec<usize> = Vec::with_capacity(24);
        for (_, _, _, explain) in predictions.iter().flatten() {
            for contribution in *explain {
                let name = contribution.feature.as_str();
                let index = match features.iter().position(|&known| known == name) {
                    Some(index) => index,
                    None => {
                        features.push(name);
                        features.len() - 1
                    }
                };
                indexes.push(index);
            }
        }

        out.push(b'[');
        write_index(out, usize::from(FORMAT_VERSION));
        out.push(b',');
        json_str(out, &self.language);
        out.push(b',');
        json_number(out, self.language_confidence);
        let vader = &self.sentiment.vader;
        for score in [vader.neg, vader.neu, vader.pos, vader.compound] {
            out.push(b',');
            json_number(out, score);
        }
        out.extend_from_slice(b",[");
        for (i, feature) in features.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_str(out, feature);
        }
        out.push(b']');
        let mut indexes = indexes.into_iter();
        for prediction in predictions {
            out.push(b',');
            let Some((label, confidence, model, explain)) = prediction else {
                out.extend_from_slice(b"null");
                continue;
            };
            out.push(b'[');
            json_str(out, label);
            out.push(b',');
            json_number(out, confidence);
            out.push(b',');
            json_str(out, model);
            for (contribution, index) in explain.iter().zip(indexes.by_ref()) {
                out.push(b',');
                write_index(out, index);
                out.push(b',');
                json_number(out, contribution.weight);
            }
            out.push(b']');
        }
        out.push(b']');
    }
}

/// A small number (a feature index, the format version) in decimal, without the formatting
/// machinery: a post names a few dozen features at most, so one or two digits.
fn write_index(out: &mut Vec<u8>, index: usize) {
    if index < 10 {
        out.push(b'0' + index as u8);
    } else if index < 100 {
        out.extend_from_slice(&[b'0' + (index / 10) as u8, b'0' + (index % 10) as u8]);
    } else {
        out.extend_from_slice(index.to_string().as_bytes());
    }
}

/// A task's fields as the writer needs them.
fn task(prediction: &Option<Prediction>) -> Option<(&str, f32, &str, &[Contribution])> {
    prediction.as_ref().map(|p| {
        (
            p.label.as_str(),
            p.confidence,
            p.model.as_str(),
            p.explain.as_slice(),
        )
    })
}

/// Reads the compact form from a sequence whose first element (the version) is not yet read.
/// Called by [`Analysis`]'s `Deserialize` when it meets an array.
pub(crate) fn read_stored<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Analysis, A::Error> {
    let mut position = 0;
    macro_rules! element {
        ($what:literal, $ty:ty) => {{
            position += 1;
            seq.next_element::<$ty>()?.ok_or_else(|| {
                de::Error::custom(format_args!(
                    "the stored analysis ends before element {position} ({})",
                    $what
                ))
            })?
        }};
    }
    let version: u8 = element!("the format version", u8);
    if version != FORMAT_VERSION {
        return Err(de::Error::custom(format_args!(
            "stored analysis format {version} is unknown (this build reads format {FORMAT_VERSION} and the object form)"
        )));
    }
    let language: SmolStr = element!("the language", SmolStr);
    let language_confidence = element!("the language confidence", Number).0 as f32;
    let vader = VaderScores {
        neg: element!("VADER's neg", Number).0,
        neu: element!("VADER's neu", Number).0,
        pos: element!("VADER's pos", Number).0,
        compound: element!("VADER's compound", Number).0,
    };
    let features: Vec<SmolStr> = element!("the feature list", Vec<SmolStr>);
    let resolve = |raw: RawPrediction| -> Result<Prediction, A::Error> {
        let explain = raw
            .pushes
            .into_iter()
            .map(|(index, weight)| match features.get(index) {
                Some(feature) => Ok(Contribution {
                    feature: feature.clone(),
                    weight,
                }),
                None => Err(de::Error::custom(format_args!(
                    "an explanation names feature {index}, but the stored analysis lists {}",
                    features.len()
                ))),
            })
            .collect::<Result<Vec<_>, A::Error>>()?;
        Ok(Prediction {
            label: raw.label,
            confidence: raw.confidence,
            model: raw.model,
            explain,
        })
    };
    let Some(sentiment) = element!("the sentiment", Option<RawPrediction>) else {
        return Err(de::Error::custom("the stored analysis has no sentiment"));
    };
    let sentiment = resolve(sentiment)?;
    let mut tasks: [Option<Prediction>; 5] = Default::default();
    for slot in &mut tasks {
        *slot = element!("a task's prediction", Option<RawPrediction>)
            .map(&resolve)
            .transpose()?;
    }
    if seq.next_element::<de::IgnoredAny>()?.is_some() {
        return Err(de::Error::custom(
            "the stored analysis has more elements than format 2 defines",
        ));
    }
    let [complaint, intent, reason, urgency, toxicity] = tasks;
    Ok(Analysis {
        language,
        language_confidence,
        sentiment: SentimentResult::new(vader, sentiment),
        complaint,
        intent,
        reason,
        urgency,
        toxicity,
    })
}

/// A stored number: `null` (what a non-finite number is written as) reads as NaN.
struct Number(f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Number, D::Error> {
        Ok(Number(
            Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN),
        ))
    }
}

/// A stored prediction before its feature indexes are resolved.
struct RawPrediction {
    label: SmolStr,
    confidence: f32,
    model: SmolStr,
    pushes: Vec<(usize, f32)>,
}

impl<'de> Deserialize<'de> for RawPrediction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawPrediction, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = RawPrediction;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a stored prediction [label, confidence, model, feature, weight, …]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawPrediction, A::Error> {
                let missing = |what| {
                    de::Error::custom(format_args!("a stored prediction ends before its {what}"))
                };
                let label: SmolStr = seq.next_element()?.ok_or_else(|| missing("label"))?;
                let confidence: Number =
                    seq.next_element()?.ok_or_else(|| missing("confidence"))?;
                let model: SmolStr = seq.next_element()?.ok_or_else(|| missing("model"))?;
                let mut pushes = Vec::with_capacity(seq.size_hint().unwrap_or(8) / 2);
                while let Some(index) = seq.next_element::<usize>()? {
                    let weight: Number = seq.next_element()?.ok_or_else(|| missing("weight"))?;
                    pushes.push((index, weight.0 as f32));
                }
                Ok(RawPrediction {
                    label,
                    confidence: confidence.0 as f32,
                    model,
                    pushes,
                })
            }
        }
        deserializer.deserialize_seq(RawVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prediction(label: &str, explain: &[(&str, f32)]) -> Prediction {
        Prediction {
            label: label.into(),
            confidence: 0.9123,
            model: smol_str::format_smolstr!("{label}-lr@2026.11.24.2"),
            explain: explain
                .iter()
                .map(|&(feature, weight)| Contribution {
                    feature: feature.into(),
                    weight,
                })
                .collect(),
        }
    }

    fn sample() -> Analysis {
        Analysis {
            language: "en".into(),
            language_confidence: 0.7364,
            sentiment: SentimentResult {
                vader: VaderScores {
                    neg: 0.0,
                    neu: 0.622,
                    pos: 0.378,
                    compound: -0.807_123_456_789,
                },
                label: "negative".into(),
                confidence: 0.885,
                model: "sentiment-lr@2026.11.24.2".into(),
                explain: vec![
                    Contribution {
                        feature: "VADER neutral share".into(),
                        weight: 0.621,
                    },
                    Contribution {
                        feature: "starts with \"<user>\"".into(),
                        weight: -0.409,
                    },
                ],
            },
            complaint: Some(prediction(
                "complaint",
                &[("starts with \"<user>\"", 1.277), ("no response", 1.25)],
            )),
            intent: None,
            reason: Some(prediction("delay", &[])),
            urgency: Some(prediction("low", &[("tab\there\nnewline", 3.0)])),
            toxicity: Some(prediction(
                "not_offensive",
                &[("VADER neutral share", 0.354), ("😡 emoji", 1e-7)],
            )),
        }
    }

    fn stored(analysis: &Analysis) -> String {
        let mut out = Vec::new();
        analysis.write_json_stored(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_stored_form_reads_back_as_the_same_analysis() {
        let analysis = sample();
        let json = stored(&analysis);
        // Each feature once, in the order the explanations first name it.
        assert!(
            json.starts_with(
                r#"[2,"en",0.7364,0.0,0.622,0.378,-0.807123456789,["VADER neutral share","starts with \"<user>\"","no response","tab\there\nnewline","😡 emoji"],["negative",0.885,"sentiment-lr@2026.11.24.2",0,0.621,1,-0.409],["complaint","#
            ),
            "{json}"
        );
        assert!(
            json.contains(r#",null,["delay",0.9123,"delay-lr@2026.11.24.2"],"#),
            "{json}"
        );
        let back: Analysis = serde_json::from_str(&json).unwrap();
        assert_eq!(back, analysis);
        // Well under the public object form.
        let object = serde_json::to_string(&analysis).unwrap();
        assert!(
            json.len() * 10 < object.len() * 7,
            "{} vs {}",
            json.len(),
            object.len()
        );
    }

    #[test]
    fn generated_analyses_round_trip() {
        const POOL: [&str; 7] = ["a", "b \"q\"", "c\\d", "late", "<user> said", "é", "x\u{1}"];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let mut shapes = std::collections::HashSet::new();
        for _ in 0..2_000 {
            let mut analysis = sample();
            let explain = |next: &mut dyn FnMut(u64) -> u64| -> Vec<Contribution> {
                (0..next(5))
                    .map(|_| Contribution {
                        feature: POOL[next(POOL.len() as u64) as usize].into(),
                        weight: (next(20_001) as f32 - 10_000.0) / 1_000.0,
                    })
                    .collect()
            };
            analysis.sentiment.explain = explain(&mut next);
            for slot in [
                &mut analysis.complaint,
                &mut analysis.intent,
                &mut analysis.reason,
                &mut analysis.urgency,
                &mut analysis.toxicity,
            ] {
                *slot = (next(3) > 0).then(|| Prediction {
                    label: POOL[next(POOL.len() as u64) as usize].into(),
                    confidence: next(10_001) as f32 / 10_000.0,
                    model: "m@1".into(),
                    explain: explain(&mut next),
                });
            }
            let json = stored(&analysis);
            shapes.insert(json.len());
            let back: Analysis = serde_json::from_str(&json).unwrap();
            assert_eq!(back, analysis, "{json}");
        }
        // The generator really varies the analyses.
        assert!(shapes.len() > 100, "{}", shapes.len());
    }

    #[test]
    fn indexes_are_written_in_decimal() {
        for index in 0..1_000 {
            let mut out = Vec::new();
            write_index(&mut out, index);
            assert_eq!(out, index.to_string().as_bytes());
        }
    }

    #[test]
    fn numbers_json_cannot_hold_read_back_as_nan() {
        let mut analysis = sample();
        analysis.language_confidence = f32::NAN;
        analysis.sentiment.explain[0].weight = f32::INFINITY;
        let json = stored(&analysis);
        assert!(json.starts_with(r#"[2,"en",null,"#), "{json}");
        let back: Analysis = serde_json::from_str(&json).unwrap();
        assert!(back.language_confidence.is_nan());
        assert!(back.sentiment.explain[0].weight.is_nan());
    }

    #[test]
    fn damaged_stored_forms_are_refused_with_the_place() {
        let error = |json: &str| {
            serde_json::from_str::<Analysis>(json)
                .unwrap_err()
                .to_string()
        };
        assert!(error("[3]").contains("format 3 is unknown"));
        assert!(error(r#"[2,"en",0.5]"#).contains("element 4 (VADER's neg)"));
        let good = stored(&sample());
        let bad_index = good.replacen(",0,0.621,", ",99,0.621,", 1);
        assert!(error(&bad_index).contains("feature 99, but the stored analysis lists 5"));
        let no_sentiment = r#"[2,"en",0.5,0,1,0,0,[],null,null,null,null,null,null]"#;
        assert!(error(no_sentiment).contains("no sentiment"));
        let extra = format!("{},1]", &good[..good.len() - 1]);
        assert!(error(&extra).contains("more elements"));
        let no_weight =
            r#"[2,"en",0.5,0,1,0,0,["a"],["neutral",0.5,"m",0],null,null,null,null,null]"#;
        assert!(error(no_weight).contains("ends before its weight"));
    }
}
