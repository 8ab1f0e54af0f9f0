//! Criterion benchmarks of the per-post text primitives (VADER, language detection, tokenizer)
//! on short social posts written for this repository (`benches/sample_posts.txt`).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use switchyard_text::{Vader, language, tokens};

const SAMPLE: &str = include_str!("sample_posts.txt");

fn posts() -> Vec<&'static str> {
    SAMPLE.lines().filter(|l| !l.trim().is_empty()).collect()
}

fn bench_vader(c: &mut Criterion) {
    let vader = Vader::new();
    let posts = posts();
    c.bench_function("vader/polarity_scores per post", |b| {
        let mut i = 0;
        b.iter(|| {
            let post = posts[i % posts.len()];
            i += 1;
            black_box(vader.polarity_scores(black_box(post)))
        })
    });
}

fn bench_language(c: &mut Criterion) {
    let posts = posts();
    c.bench_function("language/detect per post", |b| {
        let mut i = 0;
        b.iter(|| {
            let post = posts[i % posts.len()];
            i += 1;
            black_box(language::detect(black_box(post)))
        })
    });
}

fn bench_tokens(c: &mut Criterion) {
    let posts = posts();
    c.bench_function("tokens/tokenize per post", |b| {
        let mut i = 0;
        b.iter(|| {
            let post = posts[i % posts.len()];
            i += 1;
            let mut count = 0usize;
            for token in tokens::tokenize(black_box(post)) {
                count += token.as_str().len();
            }
            black_box(count)
        })
    });
}

criterion_group!(benches, bench_vader, bench_language, bench_tokens);
criterion_main!(benches);
