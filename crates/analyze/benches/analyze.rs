//! Criterion benchmark of `Analyzer::analyze` (language + VADER + every shipped model + rules)
//! and of its stages, over a fixed set of customer-care style posts written for this benchmark.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use switchyard_analyze::Analyzer;
use switchyard_analyze::features::Features;
use switchyard_text::Vader;

const POSTS: [&str; 8] = [
    "@AcmeAir my flight was delayed 3 hours and nobody at the gate can tell us anything. Not happy!!",
    "Thanks so much @ShopCo, the replacement arrived a day early 😍",
    "How do I change the email address on my account?",
    "@Bankly I was charged twice for the same order, please refund me asap",
    "Your app keeps crashing when I try to log in since the update. Fix it or I'm switching to another bank",
    "Just landed in Denver, nice weather today",
    "There is smoke coming out of the charger you sold me, this is dangerous",
    "you guys should add dark mode to the website, would be nice",
];

fn bench(c: &mut Criterion) {
    let analyzer = Analyzer::new();
    c.bench_function("analyze/post (all stages)", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % POSTS.len();
            black_box(analyzer.analyze(black_box(POSTS[i]), Some(1200)))
        })
    });
    let vader = Vader::new();
    c.bench_function("analyze/stage vader", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % POSTS.len();
            black_box(vader.polarity_scores(black_box(POSTS[i])))
        })
    });
    let scores = vader.polarity_scores(POSTS[0]);
    let mut features = Features::new();
    c.bench_function("analyze/stage features", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % POSTS.len();
            features.extract(black_box(POSTS[i]), &scores);
            black_box(features.items.len())
        })
    });
    c.bench_function("analyze/stage models+rules (features given)", |b| {
        let prepared: Vec<(Features, switchyard_domain::VaderScores)> = POSTS
            .iter()
            .map(|p| {
                let s = vader.polarity_scores(p);
                let mut f = Features::new();
                f.extract(p, &s);
                (f, s)
            })
            .collect();
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % prepared.len();
            let (f, s) = &prepared[i];
            black_box(analyzer.analyze_features(f, *s, Some(1200)))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
