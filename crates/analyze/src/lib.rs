//! Switchyard's analysis layer: language, VADER and the shipped customer-care models
//! (sentiment, complaint, intent, reason, urgency, toxicity) turned into a `domain::Analysis`.
//!
//! `analyze` is pure and synchronous: no network, no database, no async, no file reads (the
//! models are compiled in). Training and evaluation read the shared data sets from disk.

pub mod baseline;
pub mod data;
pub mod error;
pub mod features;
pub mod metrics;
pub mod model;
pub mod rules;
pub mod tasks;
pub mod train;

pub use error::AnalyzeError;
pub use tasks::{Correction, EvalReport, EvalRow, TrainReport, eval_all, train_all};

use crate::features::Features;
use crate::model::{ModelFile, ModelHeader, ModelRows, ModelSet};
use crate::rules::UrgencyContext;
use crate::tasks::Task;
use std::borrow::Cow;
use std::cell::RefCell;
use std::path::Path;
use std::sync::{Arc, LazyLock};
use switchyard_domain::{
    Analysis, Contribution, Prediction, SentimentResult, SmolStr, VaderScores, format_smolstr,
};
use switchyard_text::Vader;

/// The model files shipped in the binary (`models/` at the repository root, written by
/// `switchyard train`).
const SHIPPED: [(Task, &[u8]); 5] = [
    (
        Task::Sentiment,
        include_bytes!("../../../models/sentiment.swym"),
    ),
    (
        Task::Complaint,
        include_bytes!("../../../models/complaint.swym"),
    ),
    (Task::Intent, include_bytes!("../../../models/intent.swym")),
    (Task::Reason, include_bytes!("../../../models/reason.swym")),
    (
        Task::Toxicity,
        include_bytes!("../../../models/toxicity.swym"),
    ),
];

/// The five trained models, in `Task::ALL` order, interleaved into one [`ModelSet`].
#[derive(Debug)]
struct Models {
    headers: Vec<ModelHeader>,
    set: ModelSet,
}

impl Models {
    /// The models from their files (`read` gives each task's file bytes), parsed straight
    /// into the interleaved set: no dense copy of any model's weights is made.
    fn from_files<'a>(
        mut read: impl FnMut(Task) -> Result<Cow<'a, [u8]>, AnalyzeError>,
    ) -> Result<Models, AnalyzeError> {
        let mut bytes = Vec::with_capacity(Task::ALL.len());
        for task in Task::ALL {
            bytes.push(read(task)?);
        }
        let mut files = Vec::with_capacity(Task::ALL.len());
        for (task, bytes) in Task::ALL.into_iter().zip(&bytes) {
            let file = ModelFile::parse(task.file_name(), bytes)?;
            let expected: Vec<String> = task.classes().iter().map(|c| c.to_string()).collect();
            if file.header.classes != expected {
                return Err(AnalyzeError::BadModel {
                    model: task.file_name().to_string(),
                    problem: format!(
                        "classes {:?}, this build expects {expected:?}; retrain with `switchyard train`",
                        file.header.classes
                    ),
                });
            }
            files.push(file);
        }
        let rows: Vec<&dyn ModelRows> = files.iter().map(|f| f as &dyn ModelRows).collect();
        Ok(Models {
            set: ModelSet::from_rows(&rows)?,
            headers: files.into_iter().map(|f| f.header).collect(),
        })
    }
}

static SHIPPED_MODELS: LazyLock<Result<Arc<Models>, String>> = LazyLock::new(|| {
    Models::from_files(|task| {
        Ok(Cow::Borrowed(
            SHIPPED
                .iter()
                .find(|(t, _)| *t == task)
                .map_or(&[][..], |(_, bytes)| bytes),
        ))
    })
    .map(Arc::new)
    .map_err(|e| e.to_string())
});

thread_local! {
    static SCRATCH: RefCell<Features> = RefCell::new(Features::new());
}

/// Language + VADER + every shipped model, ready to analyse posts. Cheap to create and clone:
/// the models are parsed once per process and shared.
#[derive(Debug, Clone)]
pub struct Analyzer {
    vader: Vader,
    models: Arc<Models>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new()
    }
}

impl Analyzer {
    /// The analyser over the models compiled into the binary.
    ///
    /// # Panics
    /// Only if the compiled-in model files are corrupt, which the crate's tests rule out for
    /// every build; use [`Analyzer::try_new`] to get the error instead.
    pub fn new() -> Analyzer {
        match Analyzer::try_new() {
            Ok(analyzer) => analyzer,
            Err(error) => panic!("{error}"),
        }
    }

    /// The analyser over the compiled-in models, or why they cannot be used.
    pub fn try_new() -> Result<Analyzer, AnalyzeError> {
        match &*SHIPPED_MODELS {
            Ok(models) => Ok(Analyzer {
                vader: Vader::new(),
                models: Arc::clone(models),
            }),
            Err(problem) => Err(AnalyzeError::BadModel {
                model: "shipped models".into(),
                problem: problem.clone(),
            }),
        }
    }

    /// The analyser over model files in `dir` (as written by `switchyard train`, e.g. after
    /// `--with-corrections`), instead of the compiled-in ones.
    pub fn from_dir(dir: &Path) -> Result<Analyzer, AnalyzeError> {
        let models = Models::from_files(|task| {
            let path = dir.join(task.file_name());
            std::fs::read(&path)
                .map(Cow::Owned)
                .map_err(|source| AnalyzeError::Io {
                    action: "read the model file",
                    path,
                    source,
                })
        })?;
        Ok(Analyzer {
            vader: Vader::new(),
            models: Arc::new(models),
        })
    }

    /// `name@version` of every model and rule set this analyser uses.
    pub fn model_versions(&self) -> Vec<String> {
        let mut versions: Vec<String> = self.models.headers.iter().map(ModelHeader::id).collect();
        versions.push(rules::URGENCY_MODEL.to_string());
        versions.push(rules::INTENT_RULES.to_string());
        versions
    }

    /// The headers (name, version, classes, training, licence) of the trained models.
    pub fn model_headers(&self) -> &[ModelHeader] {
        &self.models.headers
    }

    /// Everything the analysis layer says about one post. `author_followers` feeds the urgency
    /// rules (high reach). Pure and synchronous: no I/O; the scratch space is reused per thread.
    pub fn analyze(&self, text: &str, author_followers: Option<u64>) -> Analysis {
        let vader = self.vader.polarity_scores(text);
        let (language, language_confidence) = detect_language(text);
        let mut analysis = SCRATCH.with(|scratch| {
            let mut features = scratch.borrow_mut();
            features.extract(text, &vader);
            self.analyze_features(&features, vader, author_followers)
        });
        analysis.language = language;
        analysis.language_confidence = language_confidence;
        analysis
    }

    /// The five trained models' predictions alone (no rules), in `Task::ALL` order; for
    /// benchmarks of the model stage (`examples/stage_times.rs`).
    pub fn model_predictions(&self, features: &Features) -> Vec<Prediction> {
        self.models.set.predict_all(features)
    }

    /// The models and rules over features already extracted (the language is left `und`).
    pub fn analyze_features(
        &self,
        features: &Features,
        vader: VaderScores,
        author_followers: Option<u64>,
    ) -> Analysis {
        let set = &self.models.set;
        let scores = set.score(features);
        // The set holds the models in `Task::ALL` order.
        let predict = |task: Task| {
            let m = Task::ALL
                .iter()
                .position(|t| *t == task)
                .unwrap_or(usize::MAX);
            set.predict(features, &scores, m)
        };
        let sentiment = predict(Task::Sentiment);
        let complaint = predict(Task::Complaint);
        let complaint_probability = if complaint.label == "complaint" {
            complaint.confidence
        } else {
            1.0 - complaint.confidence
        };
        let negative = sentiment.label == "negative";
        let matches = rules::match_all(features);
        let intent = intent_with_rules(predict(Task::Intent), &matches, complaint_probability);
        // A complaint's reason is only reported for complaints and negative posts, and only
        // then computed.
        let reason = (complaint_probability >= 0.5 || negative).then(|| predict(Task::Reason));
        let toxicity = predict(Task::Toxicity);
        let urgency = rules::assess_urgency(
            features,
            &matches,
            &UrgencyContext {
                author_followers,
                complaint_probability,
                negative,
            },
        );
        Analysis {
            language: SmolStr::new_static("und"),
            language_confidence: 0.0,
            sentiment: SentimentResult::new(vader, sentiment),
            complaint: Some(complaint),
            intent: Some(intent),
            reason,
            urgency: Some(urgency),
            toxicity: Some(toxicity),
        }
    }
}

/// The intent model, with the suggestion and purchase-lead phrase rules on top: a rule wins
/// unless the model is sure the post is a complaint (p ≥ 0.7).
fn intent_with_rules(
    model: Prediction,
    matches: &[Option<&'static str>; 8],
    complaint_probability: f32,
) -> Prediction {
    let sure_complaint = model.label == "complaint" && model.confidence >= 0.7;
    if sure_complaint || complaint_probability >= 0.8 {
        return model;
    }
    for (group, label) in [
        (rules::SUGGESTION_GROUP, "suggestion"),
        (rules::LEAD_GROUP, "lead"),
    ] {
        if let Some(phrase) = matches[group] {
            let group = rules::ALL_GROUPS[group];
            let mut explain = vec![Contribution {
                feature: format_smolstr!("{}: \"{phrase}\"", group.name),
                weight: group.weight,
            }];
            explain.extend(model.explain.into_iter().take(2));
            return Prediction {
                label: SmolStr::new_static(label),
                confidence: RULE_CONFIDENCE,
                model: format_smolstr!("{}+{}", model.model, rules::INTENT_RULES),
                explain,
            };
        }
    }
    model
}

/// The confidence reported for an intent set by a phrase rule (no labelled data to calibrate it).
const RULE_CONFIDENCE: f32 = 0.7;

/// Language from `switchyard-text`'s detector (ISO 639-1 or `und`).
fn detect_language(text: &str) -> (SmolStr, f32) {
    let detected = switchyard_text::detect(text);
    (
        SmolStr::new_static(detected.code),
        switchyard_domain::round_confidence(detected.confidence),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_models_load_quickly_with_the_expected_shapes() {
        let started = std::time::Instant::now();
        let analyzer = Analyzer::try_new().expect("shipped models load");
        // Debug builds are slow; the release figure is in docs/performance.md.
        assert!(started.elapsed().as_secs() < 5);
        assert_eq!(analyzer.model_headers().len(), Task::ALL.len());
        for (task, header) in Task::ALL.iter().zip(analyzer.model_headers()) {
            assert_eq!(header.task, task.name());
            assert_eq!(header.classes.len(), task.classes().len());
            assert!(header.temperature > 0.0);
            assert_eq!(header.version, tasks::MODEL_VERSION);
            assert!(!header.licence.is_empty() && !header.training.is_empty());
        }
        assert_eq!(analyzer.model_versions().len(), 7);
    }

    #[test]
    fn every_result_has_label_confidence_model_and_explanation() {
        let analyzer = Analyzer::new();
        let a = analyzer.analyze(
            "@AcmeAir my flight was delayed 3 hours and nobody answers. Worst airline ever!!",
            Some(50),
        );
        assert!(a.sentiment.vader.compound < 0.0);
        assert_eq!(a.language, "en");
        assert!(a.language_confidence > 0.0);
        assert_eq!(a.sentiment.label, "negative");
        assert!(!a.sentiment.explain.is_empty());
        assert!(a.sentiment.model.starts_with("sentiment-lr@"));
        for task in ["complaint", "intent", "reason", "urgency", "toxicity"] {
            let p = match task {
                "complaint" => a.complaint.as_ref(),
                "intent" => a.intent.as_ref(),
                "reason" => a.reason.as_ref(),
                "urgency" => a.urgency.as_ref(),
                _ => a.toxicity.as_ref(),
            }
            .unwrap_or_else(|| panic!("{task} missing"));
            assert!((0.0..=1.0).contains(&p.confidence), "{task}: {p:?}");
            assert!(!p.model.is_empty(), "{task}");
            if task != "urgency" {
                assert!(!p.explain.is_empty(), "{task}: {p:?}");
            }
        }
        assert_eq!(a.label("complaint"), Some("complaint"));
        assert_eq!(a.label("reason"), Some("delay"));
    }

    #[test]
    fn the_set_agrees_with_each_model() {
        // The quantised, interleaved set against each f32 model on its own.
        let analyzer = Analyzer::new();
        let models: Vec<model::LinearModel> = SHIPPED
            .iter()
            .map(|(task, bytes)| model::LinearModel::from_bytes(task.file_name(), bytes).unwrap())
            .collect();
        let vader = Vader::new();
        let mut features = Features::new();
        for text in [
            "@AcmeAir my flight was delayed 3 hours and nobody answers. Worst airline ever!!",
            "Thank you so much, the crew was amazing and so kind!",
            "How do I change the email address on my account?",
            "I was charged twice for the same order, please refund me",
            "you stupid idiot, shut up",
            "Just landed in Denver, nice weather today",
            "",
        ] {
            features.extract(text, &vader.polarity_scores(text));
            let set = analyzer.model_predictions(&features);
            for (quantised, model) in set.iter().zip(&models) {
                model::assert_agrees(quantised, &model.predict(&features), text);
            }
        }
    }

    #[test]
    fn typical_posts_get_sensible_labels() {
        let analyzer = Analyzer::new();
        let praise = analyzer.analyze("Thank you so much, the crew was amazing and so kind!", None);
        assert_eq!(praise.sentiment.label, "positive");
        assert_eq!(praise.label("intent"), Some("praise"));
        assert!(praise.reason.is_none());
        let question = analyzer.analyze("How do I change the email address on my account?", None);
        assert_eq!(question.label("intent"), Some("question"));
        let suggestion = analyzer.analyze("you guys should add a dark mode, would be nice", None);
        assert_eq!(suggestion.label("intent"), Some("suggestion"));
        let lost = analyzer.analyze(
            "@AcmeAir you lost my luggage and nobody can find my bag",
            None,
        );
        assert_eq!(lost.label("reason"), Some("lost_or_damaged_item"));
        let rude = analyzer.analyze("@user shut up you stupid idiot, you are a disgrace", None);
        assert_eq!(rude.label("toxicity"), Some("offensive"));
        let urgent = analyzer.analyze("There is smoke coming out of the charger you sold me", None);
        assert_eq!(urgent.label("urgency"), Some("high"));
    }

    #[test]
    fn neutral_sentences_naming_an_identity_are_rarely_called_offensive() {
        let analyzer = Analyzer::new();
        let sentences = tasks::identity_template_sentences();
        let flagged: Vec<&String> = sentences
            .iter()
            .filter(|text| analyzer.analyze(text, None).label("toxicity") == Some("offensive"))
            .collect();
        // 2 of 352 with the 2026.11.24.3 models; profanity-check flags 17.
        assert!(
            flagged.len() * 100 <= sentences.len(),
            "{} of {} flagged: {flagged:?}",
            flagged.len(),
            sentences.len()
        );
    }

    #[test]
    fn analysis_is_deterministic_and_survives_odd_input() {
        let analyzer = Analyzer::new();
        let text = "Refund me NOW!!! charged twice 😡 https://t.co/x #fail";
        assert_eq!(analyzer.analyze(text, None), analyzer.analyze(text, None));
        let long = "no ".repeat(100_000);
        for odd in ["", " ", "\u{0}", "😀😀😀", "@@@@", long.as_str()] {
            let a = analyzer.analyze(odd, Some(u64::MAX));
            assert!(a.sentiment.confidence.is_finite());
        }
    }

    #[test]
    fn models_can_be_loaded_from_a_folder_and_bad_files_are_reported() {
        let dir = std::env::temp_dir().join(format!("swy-analyze-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (task, bytes) in SHIPPED {
            std::fs::write(dir.join(task.file_name()), bytes).unwrap();
        }
        let analyzer = Analyzer::from_dir(&dir).unwrap();
        let text = "my order never arrived";
        assert_eq!(
            analyzer.analyze(text, None),
            Analyzer::new().analyze(text, None)
        );
        std::fs::write(dir.join("reason.swym"), b"garbage").unwrap();
        let error = Analyzer::from_dir(&dir).unwrap_err().to_string();
        assert!(error.contains("reason.swym"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
