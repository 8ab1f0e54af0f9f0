//! Routing rules: a TOML file of rules (`when` conditions → `then` actions) evaluated in order over
//! each post and its analysis, producing a [`RouteDecision`]. See `docs/rules.md`.
//!
//! Merge semantics when several rules match: every matching rule is listed in `matched_rules`;
//! the first `queue` wins; the highest `priority` wins (default `normal`); `tags` and `alerts` are
//! unions in order of first appearance; the first `sla` wins; a matching rule with `stop = true`
//! ends evaluation. A post no rule gave a queue lands in [`UNROUTED_QUEUE`].

mod backtest;
mod check;
mod file;

pub use backtest::{BacktestReport, Backtester, RuleBacktest};
pub use check::{CheckReport, RuleTestOutcome};
pub use file::{RulesError, RulesProblem};

use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc};
use switchyard_domain::{Analysis, Channel, NewPost, Priority, RouteDecision, UNROUTED_QUEUE};
use switchyard_query::{PostView, PreparedPost, QuerySet};

/// Labels that count as "yes" for `complaint = true`.
const COMPLAINT_YES: [&str; 4] = ["complaint", "yes", "true", "1"];

/// An analysis task a rule can test the label of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelTask {
    Intent,
    Complaint,
    Reason,
    Urgency,
    Toxicity,
}

impl LabelTask {
    pub fn as_str(self) -> &'static str {
        match self {
            LabelTask::Intent => "intent",
            LabelTask::Complaint => "complaint",
            LabelTask::Reason => "reason",
            LabelTask::Urgency => "urgency",
            LabelTask::Toxicity => "toxicity",
        }
    }
}

/// One condition of a rule's `when`; all of a rule's conditions must hold.
#[derive(Debug, Clone)]
pub enum Condition {
    /// A listening query; `index` points into the rule set's compiled [`QuerySet`].
    Query {
        text: String,
        index: usize,
    },
    Sentiment {
        /// Any of these labels (empty: any label).
        labels: Vec<String>,
        compound_below: Option<f64>,
        compound_above: Option<f64>,
        min_confidence: Option<f32>,
    },
    Label {
        task: LabelTask,
        /// Any of these labels (lowercase).
        labels: Vec<String>,
        /// `false` inverts the test: the label must be none of `labels`.
        wanted: bool,
        min_confidence: Option<f32>,
    },
    Channel(Vec<Channel>),
    /// ISO 639-1 codes; the analysis's language, else the one the source declared.
    Language(Vec<String>),
    FollowersAtLeast(u64),
    FollowersBelow(u64),
    Verified(bool),
    IsReply(bool),
    /// Minutes after midnight in the rule set's offset; `start > end` wraps past midnight.
    Hours {
        start: u32,
        end: u32,
    },
    /// Bit `n` set: weekday `n` (0 = Monday) in the rule set's offset.
    Days(u8),
}

/// What a matching rule does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Actions {
    pub queue: Option<String>,
    pub priority: Option<Priority>,
    pub tags: Vec<String>,
    pub sla: Option<String>,
    pub alerts: Vec<String>,
    pub stop: bool,
}

/// One routing rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub description: Option<String>,
    pub conditions: Vec<Condition>,
    pub actions: Actions,
    pub tests: Vec<RuleTest>,
    /// Line of the rule's name in the rules file (for reports).
    pub line: usize,
}

/// Analysis labels a rule test pins, so tests do not depend on a model's mood.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisOverrides {
    pub sentiment: Option<String>,
    pub compound: Option<f64>,
    pub language: Option<String>,
    pub intent: Option<String>,
    pub complaint: Option<String>,
    pub reason: Option<String>,
    pub urgency: Option<String>,
    pub toxicity: Option<String>,
    /// Confidence given to the pinned labels (default 1.0).
    pub confidence: Option<f32>,
}

/// What a rule test expects of the whole rule set's decision.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expectation {
    pub queue: Option<String>,
    pub priority: Option<Priority>,
    /// Each of these must be among the decision's tags.
    pub tags: Vec<String>,
    pub sla: Option<String>,
    pub alerts: Option<Vec<String>>,
    /// Whether the rule that owns the test must match (default true).
    pub matched: bool,
}

/// A post (and optional pinned analysis) → the decision expected for it.
#[derive(Debug, Clone)]
pub struct RuleTest {
    pub post: NewPost,
    pub analysis: AnalysisOverrides,
    /// The time the post is routed at (for `hours` and `days`).
    pub at: DateTime<Utc>,
    pub expect: Expectation,
    /// Line of the test in the rules file.
    pub line: usize,
}

/// A parsed, validated rules file, ready to route posts.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    queries: QuerySet,
    /// For each query in `queries`, the rule it belongs to.
    query_rules: Vec<usize>,
    offset: FixedOffset,
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet::empty()
    }
}

impl RuleSet {
    /// A rule set with no rules: everything is unrouted.
    pub fn empty() -> Self {
        RuleSet {
            rules: Vec::new(),
            queries: QuerySet::new(Vec::new()),
            query_rules: Vec::new(),
            offset: FixedOffset::east_opt(0).expect("zero offset"),
        }
    }

    fn from_rules(rules: Vec<Rule>, queries: QuerySet, offset: FixedOffset) -> Self {
        let mut query_rules = Vec::new();
        for (rule_index, rule) in rules.iter().enumerate() {
            for condition in &rule.conditions {
                if let Condition::Query { .. } = condition {
                    query_rules.push(rule_index);
                }
            }
        }
        RuleSet {
            rules,
            queries,
            query_rules,
            offset,
        }
    }

    /// The rules, in evaluation order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The UTC offset `hours` and `days` conditions are read in.
    pub fn utc_offset(&self) -> FixedOffset {
        self.offset
    }

    /// Routes one post: evaluates the rules in order and merges the actions of those that match.
    pub fn route(&self, view: &PostView<'_>, now: DateTime<Utc>) -> RouteDecision {
        let matched = self.matching_rules(view, now);
        self.decide(&matched)
    }

    /// Merges the actions of the given matching rules (indexes in evaluation order).
    pub fn decide(&self, matched: &[usize]) -> RouteDecision {
        let mut decision = RouteDecision::default();
        let mut queue: Option<&str> = None;
        let mut priority: Option<Priority> = None;
        for &rule_index in matched {
            let Some(rule) = self.rules.get(rule_index) else {
                continue;
            };
            decision.matched_rules.push(rule.name.clone());
            let actions = &rule.actions;
            if queue.is_none() {
                queue = actions.queue.as_deref();
            }
            if let Some(rule_priority) = actions.priority {
                priority = Some(priority.map_or(rule_priority, |p| p.max(rule_priority)));
            }
            for tag in &actions.tags {
                if !decision.tags.contains(tag) {
                    decision.tags.push(tag.clone());
                }
            }
            if decision.sla_policy.is_none() {
                decision.sla_policy = actions.sla.clone();
            }
            for alert in &actions.alerts {
                if !decision.alerts.contains(alert) {
                    decision.alerts.push(alert.clone());
                }
            }
        }
        decision.queue = queue.unwrap_or(UNROUTED_QUEUE).to_string();
        decision.priority = priority.unwrap_or_default();
        decision
    }

    /// Indexes of the rules that match, in order, honouring `stop`.
    pub fn matching_rules(&self, view: &PostView<'_>, now: DateTime<Utc>) -> Vec<usize> {
        let query_hits = if self.queries.is_empty() {
            Vec::new()
        } else {
            let prepared = PreparedPost::new(*view);
            let mut hits = vec![false; self.queries.len()];
            for index in self.queries.matching_indices(&prepared) {
                hits[index] = true;
            }
            hits
        };
        let local = now.with_timezone(&self.offset);
        let minute_of_day = local.hour() * 60 + local.minute();
        let weekday = local.weekday().num_days_from_monday() as u8;
        let mut matched = Vec::new();
        for (rule_index, rule) in self.rules.iter().enumerate() {
            let all_hold = rule.conditions.iter().all(|condition| {
                condition_holds(condition, view, &query_hits, minute_of_day, weekday)
            });
            if all_hold {
                matched.push(rule_index);
                if rule.actions.stop {
                    break;
                }
            }
        }
        matched
    }

    /// The rule a query in the compiled set belongs to (used by reports).
    pub fn rule_of_query(&self, query_index: usize) -> Option<&Rule> {
        self.query_rules
            .get(query_index)
            .and_then(|rule| self.rules.get(*rule))
    }
}

fn condition_holds(
    condition: &Condition,
    view: &PostView<'_>,
    query_hits: &[bool],
    minute_of_day: u32,
    weekday: u8,
) -> bool {
    let post = view.post;
    match condition {
        Condition::Query { index, .. } => query_hits.get(*index).copied().unwrap_or(false),
        Condition::Sentiment {
            labels,
            compound_below,
            compound_above,
            min_confidence,
        } => {
            let Some(analysis) = view.analysis else {
                return false;
            };
            let sentiment = &analysis.sentiment;
            let label_ok = labels.is_empty()
                || labels
                    .iter()
                    .any(|label| label.eq_ignore_ascii_case(&sentiment.label));
            let below_ok = compound_below.is_none_or(|limit| sentiment.vader.compound < limit);
            let above_ok = compound_above.is_none_or(|limit| sentiment.vader.compound > limit);
            let confidence_ok = min_confidence.is_none_or(|min| sentiment.confidence >= min);
            label_ok && below_ok && above_ok && confidence_ok
        }
        Condition::Label {
            task,
            labels,
            wanted,
            min_confidence,
        } => {
            let Some(analysis) = view.analysis else {
                return false;
            };
            label_condition_holds(analysis, *task, labels, *wanted, *min_confidence)
        }
        Condition::Channel(channels) => channels.contains(&post.channel),
        Condition::Language(languages) => {
            let language = view
                .analysis
                .map(|a| a.language.as_str())
                .filter(|l| *l != "und")
                .or(post.language.as_deref());
            language.is_some_and(|language| {
                languages
                    .iter()
                    .any(|wanted| wanted.eq_ignore_ascii_case(language))
            })
        }
        Condition::FollowersAtLeast(limit) => post.author.followers.is_some_and(|f| f >= *limit),
        Condition::FollowersBelow(limit) => post.author.followers.is_some_and(|f| f < *limit),
        Condition::Verified(wanted) => post.author.verified == *wanted,
        Condition::IsReply(wanted) => post.is_reply() == *wanted,
        Condition::Hours { start, end } => {
            if start <= end {
                (*start..*end).contains(&minute_of_day)
            } else {
                minute_of_day >= *start || minute_of_day < *end
            }
        }
        Condition::Days(mask) => mask & (1 << weekday) != 0,
    }
}

fn label_condition_holds(
    analysis: &Analysis,
    task: LabelTask,
    labels: &[String],
    wanted: bool,
    min_confidence: Option<f32>,
) -> bool {
    let (Some(label), Some(confidence)) = (
        analysis.label(task.as_str()),
        analysis.confidence(task.as_str()),
    ) else {
        return false;
    };
    let listed = labels.iter().any(|l| l.eq_ignore_ascii_case(label));
    if wanted {
        listed && min_confidence.is_none_or(|min| confidence >= min)
    } else {
        !listed
    }
}

/// Whether a `complaint` label means "this is a complaint".
pub fn is_complaint_label(label: &str) -> bool {
    COMPLAINT_YES
        .iter()
        .any(|yes| yes.eq_ignore_ascii_case(label))
}
