//! Criterion benchmarks of listening queries: 1,000 generated brand/product/keyword queries run
//! as one `QuerySet` over realistic posts (real airline tweets from `../shared/data` when present,
//! otherwise posts generated from templates written for this repository), against the naive loop
//! of 1,000 separate matchers, plus tokenizing and parsing costs.
//!
//! Run: `cargo bench -p switchyard-query --bench query_set`

mod common;

use common::{airline_texts, generate_queries, generated_texts, to_posts};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use switchyard_domain::{Analysis, NewPost};
use switchyard_query::{Matcher, PostView, PreparedPost, Query, QuerySet, parse};

fn bench_corpus(
    c: &mut Criterion,
    label: &str,
    posts: &[(NewPost, Analysis)],
    queries: &[(String, Query)],
) {
    let set = QuerySet::new(queries.to_vec());
    let matchers: Vec<Matcher> = queries.iter().map(|(_, q)| q.compile()).collect();
    let views: Vec<PostView<'_>> = posts
        .iter()
        .map(|(post, analysis)| PostView::with_analysis(post, analysis))
        .collect();
    let matched: usize = views.iter().map(|view| set.matching(view).len()).sum();
    let candidates: usize = views
        .iter()
        .map(|view| set.candidate_count(&PreparedPost::new(*view)))
        .sum();
    eprintln!(
        "{label}: {} posts, {} queries ({} bypass the prefilter), {:.1} evaluated and {:.2} matching per post",
        views.len(),
        set.len(),
        set.always_evaluated(),
        candidates as f64 / views.len() as f64,
        matched as f64 / views.len() as f64
    );

    let mut group = c.benchmark_group(format!("listening/{label}"));
    group.throughput(Throughput::Elements(views.len() as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("tokenize (PreparedPost::new)", |b| {
        b.iter(|| {
            for view in &views {
                black_box(PreparedPost::new(*view));
            }
        })
    });
    group.bench_function(
        "QuerySet 1000 queries (tokenize + prefilter + match)",
        |b| {
            b.iter(|| {
                for view in &views {
                    black_box(set.matching(view));
                }
            })
        },
    );
    let prepared: Vec<PreparedPost<'_>> = views.iter().map(|v| PreparedPost::new(*v)).collect();
    group.bench_function("1000 matchers one by one (pre-tokenized)", |b| {
        b.iter(|| {
            for post in &prepared {
                let hits = matchers.iter().filter(|m| m.matches_prepared(post)).count();
                black_box(hits);
            }
        })
    });
    group.finish();
}

fn bench_listening(c: &mut Criterion) {
    let queries = generate_queries(1_000);
    let sources: Vec<String> = queries.iter().map(|(_, q)| q.source.clone()).collect();
    let mut group = c.benchmark_group("listening/parse");
    group.throughput(Throughput::Elements(sources.len() as u64));
    group.sample_size(10);
    group.bench_function("parse 1000 queries", |b| {
        b.iter(|| {
            for source in &sources {
                black_box(parse(source).ok());
            }
        })
    });
    group.bench_function("QuerySet::new 1000 queries", |b| {
        b.iter(|| black_box(QuerySet::new(queries.clone())))
    });
    group.finish();

    let generated = to_posts(&generated_texts(4_000));
    bench_corpus(c, "generated posts", &generated, &queries);
    match airline_texts() {
        Some(texts) => bench_corpus(c, "airline tweets", &to_posts(&texts), &queries),
        None => eprintln!("SKIPPED (no shared data): airline tweets corpus"),
    }
}

criterion_group!(benches, bench_listening);
criterion_main!(benches);
