//! Cost of each analysis stage per post, over real posts: language, VADER, features, the five
//! models with their explanations and the phrase rules, and writing the `analysis` JSON.
//!
//! ```sh
//! cargo run --release -p switchyard-analyze --example stage_times -- target/bench/posts.jsonl
//! ```
//! The input is JSON lines with a `"text"` field (`scripts/bench-analyze.sh` writes 100,000 of
//! them from `../shared/data` under `target/bench/`). Each stage runs over every post, three
//! rounds, and the best round is reported (CPU time of this thread, so other processes on the
//! machine inflate it less than wall time).

use std::hint::black_box;
use std::time::Duration;
use switchyard_analyze::Analyzer;
use switchyard_analyze::features::Features;
use switchyard_text::Vader;

/// CPU time this thread has used (Linux), else wall time since an arbitrary start.
fn thread_cpu() -> Duration {
    if let Ok(stat) = std::fs::read_to_string("/proc/thread-self/schedstat")
        && let Some(ns) = stat.split_whitespace().next().and_then(|n| n.parse().ok())
    {
        return Duration::from_nanos(ns);
    }
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

fn best_of(rounds: usize, posts: usize, mut run: impl FnMut()) -> f64 {
    (0..rounds)
        .map(|_| {
            let started = thread_cpu();
            run();
            (thread_cpu() - started).as_secs_f64() * 1e6 / posts as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: stage_times POSTS.jsonl (JSON lines with a \"text\" field)")?;
    let limit: usize = std::env::args()
        .nth(2)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(usize::MAX);
    let mut texts = Vec::new();
    for (number, line) in std::fs::read_to_string(&path)?.lines().enumerate() {
        if texts.len() == limit {
            break;
        }
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|error| format!("{path} line {}: {error}", number + 1))?;
        if let Some(text) = value["text"].as_str() {
            texts.push(text.to_string());
        }
    }
    let n = texts.len();
    let analyzer = Analyzer::new();
    let vader = Vader::new();
    let scores: Vec<_> = texts.iter().map(|t| vader.polarity_scores(t)).collect();
    let mut features = Features::new();
    let extracted: Vec<Features> = texts
        .iter()
        .zip(&scores)
        .map(|(text, scores)| {
            let mut f = Features::new();
            f.extract(text, scores);
            f
        })
        .collect();
    let analyses: Vec<_> = texts.iter().map(|t| analyzer.analyze(t, None)).collect();
    let feature_count: usize = extracted.iter().map(|f| f.items.len()).sum();

    let rounds = 3;
    let language = best_of(rounds, n, || {
        for text in &texts {
            black_box(switchyard_text::detect(text));
        }
    });
    let vader_cost = best_of(rounds, n, || {
        for text in &texts {
            black_box(vader.polarity_scores(text));
        }
    });
    let features_cost = best_of(rounds, n, || {
        for (text, scores) in texts.iter().zip(&scores) {
            features.extract(text, scores);
            black_box(features.items.len());
        }
    });
    let models = best_of(rounds, n, || {
        for (f, scores) in extracted.iter().zip(&scores) {
            black_box(analyzer.analyze_features(f, *scores, None));
        }
    });
    let predictions = best_of(rounds, n, || {
        for f in &extracted {
            black_box(analyzer.model_predictions(f));
        }
    });
    let mut buffer = Vec::with_capacity(4096);
    let json = best_of(rounds, n, || {
        for analysis in &analyses {
            buffer.clear();
            // What `switchyard analyze` writes per post (the same bytes as serde_json's).
            analysis.write_json(&mut buffer);
            black_box(buffer.len());
        }
    });
    let whole = best_of(rounds, n, || {
        for text in &texts {
            black_box(analyzer.analyze(text, None));
        }
    });
    println!(
        "{n} posts from {path}, {:.1} features per post; µs per post (best of {rounds} rounds, thread CPU time):",
        feature_count as f64 / n as f64
    );
    println!("  language detection           {language:7.2}");
    println!("  VADER                        {vader_cost:7.2}");
    println!("  features                     {features_cost:7.2}");
    println!("  models + explanations + rules{models:7.2}");
    println!(
        "    the five models alone        {predictions:7.2}  (all five explained; analyze skips the reason of non-complaints)"
    );
    println!("  analysis → JSON              {json:7.2}");
    println!("  whole Analyzer::analyze      {whole:7.2}  (language + VADER + features + models)");
    Ok(())
}
