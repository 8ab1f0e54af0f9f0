//! Running the tests rules carry (`[[rules.tests]]`): each test post is analysed, its pinned labels
//! applied, routed through the whole rule set, and compared with what the test expects.

use super::{AnalysisOverrides, RuleSet, RuleTest};
use serde::Serialize;
use std::fmt;
use switchyard_analyze::Analyzer;
use switchyard_domain::{Analysis, NewPost, Prediction, RouteDecision};
use switchyard_query::PostView;

/// The result of one rule test.
#[derive(Debug, Clone, Serialize)]
pub struct RuleTestOutcome {
    pub rule: String,
    /// Line of the test in the rules file.
    pub line: usize,
    pub text: String,
    pub passed: bool,
    /// What differed from the expectation (empty when passed).
    pub failures: Vec<String>,
    pub decision: RouteDecision,
}

/// The results of every rule test.
#[derive(Debug, Clone, Serialize, Default)]
pub struct CheckReport {
    pub rules: usize,
    pub tests: usize,
    pub passed: usize,
    pub failed: usize,
    /// Names of rules that carry no test.
    pub untested_rules: Vec<String>,
    pub outcomes: Vec<RuleTestOutcome>,
}

impl CheckReport {
    /// Whether every test passed.
    pub fn all_passed(&self) -> bool {
        self.failed == 0
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for outcome in &self.outcomes {
            if outcome.passed {
                writeln!(f, "ok    {} (line {})", outcome.rule, outcome.line)?;
            } else {
                writeln!(
                    f,
                    "FAIL  {} (line {}): {:?}",
                    outcome.rule, outcome.line, outcome.text
                )?;
                for failure in &outcome.failures {
                    writeln!(f, "        {failure}")?;
                }
            }
        }
        if !self.untested_rules.is_empty() {
            writeln!(f, "rules without tests: {}", self.untested_rules.join(", "))?;
        }
        write!(
            f,
            "{} rules, {} tests: {} passed, {} failed",
            self.rules, self.tests, self.passed, self.failed
        )
    }
}

impl RuleSet {
    /// Runs every rule's tests with the shipped analyzer (see [`RuleSet::check_with`]).
    pub fn check(&self) -> CheckReport {
        let analyzer = Analyzer::new();
        self.check_with(|post| analyzer.analyze(&post.text, post.author.followers))
    }

    /// Runs every rule's tests. `analyze` produces the analysis of a test post (normally the real
    /// analyzer); labels the test pins under `analysis` then replace the analyzer's.
    pub fn check_with(&self, analyze: impl Fn(&NewPost) -> Analysis) -> CheckReport {
        let mut report = CheckReport {
            rules: self.rules.len(),
            ..CheckReport::default()
        };
        for rule in &self.rules {
            if rule.tests.is_empty() {
                report.untested_rules.push(rule.name.clone());
            }
            for test in &rule.tests {
                let outcome = self.run_test(&rule.name, test, &analyze);
                report.tests += 1;
                if outcome.passed {
                    report.passed += 1;
                } else {
                    report.failed += 1;
                }
                report.outcomes.push(outcome);
            }
        }
        report
    }

    fn run_test(
        &self,
        rule: &str,
        test: &RuleTest,
        analyze: &impl Fn(&NewPost) -> Analysis,
    ) -> RuleTestOutcome {
        let mut analysis = analyze(&test.post);
        apply_overrides(&mut analysis, &test.analysis);
        let view = PostView {
            post: &test.post,
            analysis: Some(&analysis),
        };
        let decision = self.route(&view, test.at);
        let mut failures = Vec::new();
        let expect = &test.expect;
        let matched = decision.matched_rules.iter().any(|name| name == rule);
        if matched != expect.matched {
            failures.push(if expect.matched {
                format!(
                    "expected rule {rule:?} to match, but it did not (matched: {})",
                    list_or_none(&decision.matched_rules)
                )
            } else {
                format!("expected rule {rule:?} not to match, but it did")
            });
        }
        if let Some(queue) = &expect.queue
            && *queue != decision.queue
        {
            failures.push(format!(
                "queue: expected {queue:?}, got {:?}",
                decision.queue
            ));
        }
        if let Some(priority) = expect.priority
            && priority != decision.priority
        {
            failures.push(format!(
                "priority: expected {priority}, got {}",
                decision.priority
            ));
        }
        let missing: Vec<&String> = expect
            .tags
            .iter()
            .filter(|tag| !decision.tags.contains(tag))
            .collect();
        if !missing.is_empty() {
            failures.push(format!(
                "tags: expected {missing:?} among {:?}",
                decision.tags
            ));
        }
        if let Some(sla) = &expect.sla
            && Some(sla) != decision.sla_policy.as_ref()
        {
            failures.push(format!(
                "sla: expected {sla:?}, got {:?}",
                decision.sla_policy
            ));
        }
        if let Some(alerts) = &expect.alerts {
            let mut expected = alerts.clone();
            let mut got = decision.alerts.clone();
            expected.sort();
            got.sort();
            if expected != got {
                failures.push(format!(
                    "alerts: expected {alerts:?}, got {:?}",
                    decision.alerts
                ));
            }
        }
        RuleTestOutcome {
            rule: rule.to_string(),
            line: test.line,
            text: test.post.text.clone(),
            passed: failures.is_empty(),
            failures,
            decision,
        }
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// Replaces the analyzer's labels with the ones a test pins.
pub(crate) fn apply_overrides(analysis: &mut Analysis, overrides: &AnalysisOverrides) {
    let confidence = overrides.confidence.unwrap_or(1.0);
    if let Some(compound) = overrides.compound {
        analysis.sentiment.vader.compound = compound;
        if overrides.sentiment.is_none() {
            analysis.sentiment.label = if compound >= 0.05 {
                "positive"
            } else if compound <= -0.05 {
                "negative"
            } else {
                "neutral"
            }
            .into();
        }
    }
    if let Some(label) = &overrides.sentiment {
        analysis.sentiment.label = label.to_ascii_lowercase().into();
        analysis.sentiment.confidence = confidence;
    }
    if let Some(language) = &overrides.language {
        analysis.language = language.to_ascii_lowercase().into();
        analysis.language_confidence = confidence;
    }
    let pinned = |label: &Option<String>| {
        label.as_ref().map(|label| Prediction {
            label: label.to_ascii_lowercase().into(),
            confidence,
            model: "rule-test".into(),
            explain: Vec::new(),
        })
    };
    if overrides.intent.is_some() {
        analysis.intent = pinned(&overrides.intent);
    }
    if overrides.complaint.is_some() {
        analysis.complaint = pinned(&overrides.complaint);
    }
    if overrides.reason.is_some() {
        analysis.reason = pinned(&overrides.reason);
    }
    if overrides.urgency.is_some() {
        analysis.urgency = pinned(&overrides.urgency);
    }
    if overrides.toxicity.is_some() {
        analysis.toxicity = pinned(&overrides.toxicity);
    }
}
