//! Back-testing rules on history: route stored posts (with their stored analysis) as if the rules
//! had been live, and count per rule what it would have matched and where posts would have gone.

use super::RuleSet;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use switchyard_domain::{PostId, UNROUTED_QUEUE};
use switchyard_query::PostView;

/// How many example post ids each rule keeps.
pub const SAMPLE_IDS: usize = 10;

/// What one rule would have done.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleBacktest {
    pub rule: String,
    /// Posts the rule matched.
    pub matched: u64,
    /// Posts whose queue this rule decided (it was the first matching rule with a queue).
    pub decided_queue: u64,
    /// The first few matched post ids, oldest first as the store returned them.
    pub sample_ids: Vec<PostId>,
}

/// What the whole rule set would have done on stored history.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BacktestReport {
    pub since: Option<DateTime<Utc>>,
    pub posts: u64,
    /// Posts no rule gave a queue.
    pub unrouted: u64,
    pub unrouted_sample_ids: Vec<PostId>,
    pub rules: Vec<RuleBacktest>,
    /// Posts per resulting queue.
    pub queues: BTreeMap<String, u64>,
}

impl fmt::Display for BacktestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.since {
            Some(since) => writeln!(f, "{} posts since {}", self.posts, since.to_rfc3339())?,
            None => writeln!(f, "{} posts", self.posts)?,
        }
        let width = self
            .rules
            .iter()
            .map(|r| r.rule.len())
            .max()
            .unwrap_or(4)
            .max(4);
        writeln!(
            f,
            "{:<width$}  {:>8}  {:>8}  sample ids",
            "rule", "matched", "queued"
        )?;
        for rule in &self.rules {
            let samples: Vec<String> = rule.sample_ids.iter().map(|id| id.to_string()).collect();
            writeln!(
                f,
                "{:<width$}  {:>8}  {:>8}  {}",
                rule.rule,
                rule.matched,
                rule.decided_queue,
                samples.join(" ")
            )?;
        }
        let percent = if self.posts == 0 {
            0.0
        } else {
            100.0 * self.unrouted as f64 / self.posts as f64
        };
        writeln!(f, "unrouted: {} ({percent:.1}%)", self.unrouted)?;
        let queues: Vec<String> = self
            .queues
            .iter()
            .map(|(queue, count)| format!("{queue}={count}"))
            .collect();
        write!(f, "queues: {}", queues.join(", "))
    }
}

/// Accumulates a back-test one post at a time (so any store can feed it page by page).
#[derive(Debug)]
pub struct Backtester<'r> {
    rules: &'r RuleSet,
    report: BacktestReport,
}

impl<'r> Backtester<'r> {
    pub fn new(rules: &'r RuleSet, since: Option<DateTime<Utc>>) -> Self {
        let report = BacktestReport {
            since,
            posts: 0,
            unrouted: 0,
            unrouted_sample_ids: Vec::new(),
            rules: rules
                .rules()
                .iter()
                .map(|rule| RuleBacktest {
                    rule: rule.name.clone(),
                    matched: 0,
                    decided_queue: 0,
                    sample_ids: Vec::new(),
                })
                .collect(),
            queues: BTreeMap::new(),
        };
        Backtester { rules, report }
    }

    /// Routes one stored post at the time it was created (so `hours` rules see its own time).
    pub fn add(&mut self, id: PostId, view: &PostView<'_>) {
        let at = view.post.created_at;
        let matched = self.rules.matching_rules(view, at);
        self.report.posts += 1;
        let mut queue_decided = false;
        for rule_index in &matched {
            let stats = &mut self.report.rules[*rule_index];
            stats.matched += 1;
            if stats.sample_ids.len() < SAMPLE_IDS {
                stats.sample_ids.push(id);
            }
            if !queue_decided && self.rules.rules()[*rule_index].actions.queue.is_some() {
                stats.decided_queue += 1;
                queue_decided = true;
            }
        }
        let decision = self.rules.decide(&matched);
        if decision.queue == UNROUTED_QUEUE {
            self.report.unrouted += 1;
            if self.report.unrouted_sample_ids.len() < SAMPLE_IDS {
                self.report.unrouted_sample_ids.push(id);
            }
        }
        *self.report.queues.entry(decision.queue).or_insert(0) += 1;
    }

    pub fn finish(self) -> BacktestReport {
        self.report
    }
}
