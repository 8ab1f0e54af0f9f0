//! Per-post CPU cost of 1,000 listening queries, measured as this thread's on-CPU time
//! (`/proc/thread-self/schedstat`), so the figure holds on a machine shared with other work where
//! wall-clock benchmarks are inflated. Same workload as the `query_set` criterion bench.
//!
//! Run: `cargo run --release -p switchyard-query --example listening_cpu [ROUNDS]`

#[path = "../benches/common/mod.rs"]
mod common;

use common::{airline_texts, generate_queries, generated_texts, to_posts};
use std::hint::black_box;
use switchyard_domain::{Analysis, NewPost};
use switchyard_query::{Matcher, PostView, PreparedPost, QuerySet};

/// Nanoseconds this thread has spent on a CPU, or `None` where the kernel does not say.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

fn per_post_us(rounds: usize, posts: usize, mut work: impl FnMut()) -> f64 {
    work(); // warm caches and allocator
    let wall = std::time::Instant::now();
    let start = thread_cpu_ns();
    for _ in 0..rounds {
        work();
    }
    let spent_ns = match (start, thread_cpu_ns()) {
        (Some(start), Some(end)) => (end - start) as f64,
        _ => wall.elapsed().as_nanos() as f64,
    };
    spent_ns / 1_000.0 / (rounds * posts) as f64
}

fn measure(label: &str, posts: &[(NewPost, Analysis)], rounds: usize) {
    let queries = generate_queries(1_000);
    let set = QuerySet::new(queries.clone());
    let matchers: Vec<Matcher> = queries.iter().map(|(_, q)| q.compile()).collect();
    let views: Vec<PostView<'_>> = posts
        .iter()
        .map(|(post, analysis)| PostView::with_analysis(post, analysis))
        .collect();
    let prepared: Vec<PreparedPost<'_>> = views.iter().map(|v| PreparedPost::new(*v)).collect();
    let candidates: usize = prepared.iter().map(|p| set.candidate_count(p)).sum();

    let tokenize = per_post_us(rounds, views.len(), || {
        for view in &views {
            black_box(PreparedPost::new(*view));
        }
    });
    let full = per_post_us(rounds, views.len(), || {
        for view in &views {
            black_box(set.matching(view));
        }
    });
    let naive = per_post_us(1, views.len(), || {
        for post in &prepared {
            black_box(matchers.iter().filter(|m| m.matches_prepared(post)).count());
        }
    });
    println!(
        "{label}: {} posts × {rounds} rounds, 1000 queries ({} without a required word), {:.1} evaluated per post",
        views.len(),
        set.always_evaluated(),
        candidates as f64 / views.len() as f64
    );
    println!("  tokenize (PreparedPost::new)            {tokenize:8.2} µs/post");
    println!("  QuerySet::matching (tokenize+prefilter+match) {full:8.2} µs/post");
    println!("  1000 matchers one by one (pre-tokenized) {naive:8.2} µs/post");
}

fn main() {
    let rounds = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(20);
    measure(
        "generated posts",
        &to_posts(&generated_texts(4_000)),
        rounds,
    );
    match airline_texts() {
        Some(texts) => measure("airline tweets", &to_posts(&texts), rounds),
        None => eprintln!("SKIPPED (no shared data): airline tweets corpus"),
    }
}
