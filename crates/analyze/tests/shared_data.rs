//! Checks against the shared, outside-labelled data (`../shared/data`); each test prints
//! `SKIPPED (no shared data): …` and passes when the folder is missing.
//!
//! The quick tests run the shipped models on validation sets they were never trained on. The slow
//! ones (retraining, cross-validation) are `#[ignore]`d; run them with
//! `cargo test --release -p switchyard-analyze --test shared_data -- --ignored`.

use std::path::Path;
use switchyard_analyze::metrics::Confusion;
use switchyard_analyze::tasks::{self, Corpus, Task};
use switchyard_analyze::{Analyzer, Correction, data};
use switchyard_domain::testdata::shared_data_or_skip;

fn shipped_confusion(
    analyzer: &Analyzer,
    rows: &[data::Labelled],
    task: &str,
    labels: &[&str],
    map: impl Fn(&str) -> &str,
) -> Confusion {
    let mut confusion = Confusion::new(labels.len());
    for row in rows {
        let analysis = analyzer.analyze(&row.text, None);
        let predicted = analysis.label(task).unwrap_or("");
        let gold = labels.iter().position(|l| *l == map(&row.label));
        let guess = labels.iter().position(|l| *l == predicted);
        if let (Some(gold), Some(guess)) = (gold, guess) {
            confusion.add(gold, guess);
        }
    }
    confusion
}

#[test]
fn shipped_sentiment_model_on_tweeteval_validation() {
    let Some(dir) = shared_data_or_skip("shipped_sentiment_model_on_tweeteval_validation") else {
        return;
    };
    let rows = data::tweeteval(&dir, "sentiment", "val").unwrap();
    let analyzer = Analyzer::new();
    let confusion = shipped_confusion(
        &analyzer,
        &rows,
        "sentiment",
        &tasks::SENTIMENT_CLASSES,
        |l| l,
    );
    assert_eq!(confusion.total(), 2000);
    let recall = confusion.macro_recall();
    eprintln!("shipped sentiment, TweetEval val macro recall {recall:.3}");
    // Validation figure 0.752 (docs/accuracy.md); the held-out target is 0.64.
    assert!(recall >= 0.70, "macro recall {recall:.3} fell below 0.70");
}

#[test]
fn shipped_toxicity_model_on_offensive_validation() {
    let Some(dir) = shared_data_or_skip("shipped_toxicity_model_on_offensive_validation") else {
        return;
    };
    let rows = data::tweeteval(&dir, "offensive", "val").unwrap();
    let analyzer = Analyzer::new();
    let confusion = shipped_confusion(
        &analyzer,
        &rows,
        "toxicity",
        &tasks::TOXICITY_CLASSES,
        |l| {
            if l == "offensive" {
                "offensive"
            } else {
                "not_offensive"
            }
        },
    );
    let f1 = confusion.macro_f1();
    eprintln!("shipped toxicity, TweetEval offensive val macro F1 {f1:.3}");
    // Validation figure 0.709, profanity-check 0.676 on the same set (docs/accuracy.md).
    assert!(f1 >= 0.69, "macro F1 {f1:.3} fell below 0.69");
}

#[test]
#[ignore = "retrains every recipe with cross-validation (~40 s in release)"]
fn evaluation_figures_stay_above_targets() {
    let Some(dir) = shared_data_or_skip("evaluation_figures_stay_above_targets") else {
        return;
    };
    let report = switchyard_analyze::eval_all(&dir).unwrap();
    println!("{report}");
    let figure = |task: &str, dataset_prefix: &str, metric: &str| {
        report
            .rows
            .iter()
            .find(|r| r.task == task && r.dataset.starts_with(dataset_prefix) && r.metric == metric)
            .map(|r| r.ours)
            .unwrap_or_else(|| panic!("no {task} {dataset_prefix} {metric} row"))
    };
    assert!(figure("sentiment", "TweetEval", "macro recall") >= 0.70);
    assert!(figure("sentiment", "airline", "accuracy") >= 0.80);
    assert!(figure("complaint", "complaints", "macro F1") >= 0.79);
    assert!(figure("toxicity", "TweetEval", "macro F1") >= 0.69);
    assert!(figure("intent", "derived", "macro F1") >= 0.70);
    assert!(figure("reason", "airline", "accuracy") >= 0.55);
}

#[test]
#[ignore = "retrains every model (~25 s in release)"]
fn training_reproduces_the_committed_model_files() {
    let Some(dir) = shared_data_or_skip("training_reproduces_the_committed_model_files") else {
        return;
    };
    let out = std::env::temp_dir().join(format!("swy-train-{}", std::process::id()));
    let report = switchyard_analyze::train_all(&dir, &out, &[]).unwrap();
    assert_eq!(report.models.len(), Task::ALL.len());
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    for task in Task::ALL {
        let fresh = std::fs::read(out.join(task.file_name())).unwrap();
        let shipped = std::fs::read(committed.join(task.file_name())).unwrap();
        assert!(
            fresh == shipped,
            "{} differs from the committed file: run `switchyard train` and commit models/",
            task.file_name()
        );
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
#[ignore = "loads every data set and trains the complaint model twice (~5 s in release)"]
fn corrections_change_the_next_training_run() {
    let Some(dir) = shared_data_or_skip("corrections_change_the_next_training_run") else {
        return;
    };
    let corpus = Corpus::load(&dir).unwrap();
    let text = "the blue widget hums a little tune every morning";
    let (plain, _, used) = tasks::train_task(&corpus, Task::Complaint, &[]).unwrap();
    assert_eq!(used, 0);
    let corrections = vec![
        Correction {
            text: text.to_string(),
            task: "complaint".into(),
            label: "complaint".into(),
        };
        3
    ];
    let (corrected, _, used) = tasks::train_task(&corpus, Task::Complaint, &corrections).unwrap();
    assert_eq!(used, 3);
    assert_ne!(plain.to_bytes(), corrected.to_bytes());
    let mut featurizer = tasks::Featurizer::new();
    let example = featurizer.example(text, 1, 1.0);
    let probability = |model: &switchyard_analyze::model::LinearModel| {
        let features: Vec<_> = example.features.clone();
        let mut scores = switchyard_analyze::train::scores(
            &model_weights(model),
            model.header.hash_bits,
            2,
            &features,
        );
        switchyard_analyze::model::softmax_in_place(&mut scores, model.header.temperature);
        scores[1]
    };
    assert!(probability(&corrected) > probability(&plain));
}

fn model_weights(model: &switchyard_analyze::model::LinearModel) -> Vec<f32> {
    model.dense_weights().to_vec()
}
