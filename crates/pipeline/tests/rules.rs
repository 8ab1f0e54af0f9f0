//! Routing rules: the example rules file passes its own tests, merge semantics, conditions,
//! positioned errors for broken files, and back-testing over stored posts.

use chrono::{DateTime, TimeZone, Utc};
use std::path::{Path, PathBuf};
use switchyard_domain::{
    Analysis, Channel, NewPost, Prediction, Priority, SentimentResult, VaderScores,
};
use switchyard_pipeline::route::{Backtester, RuleSet, RulesError};
use switchyard_query::PostView;

fn example_rules_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/rules.toml")
}

/// A neutral analysis: tests pin the labels they care about.
fn neutral(_post: &NewPost) -> Analysis {
    Analysis {
        language: "en".into(),
        language_confidence: 1.0,
        sentiment: SentimentResult::from_vader(VaderScores {
            neg: 0.0,
            neu: 1.0,
            pos: 0.0,
            compound: 0.0,
        }),
        complaint: None,
        intent: None,
        reason: None,
        urgency: None,
        toxicity: None,
    }
}

fn with_sentiment(compound: f64) -> Analysis {
    let mut analysis = neutral(&post("x"));
    analysis.sentiment = SentimentResult::from_vader(VaderScores {
        compound,
        ..VaderScores::default()
    });
    analysis
}

fn prediction(label: &str, confidence: f32) -> Option<Prediction> {
    Some(Prediction {
        label: label.into(),
        confidence,
        model: "test".into(),
        explain: Vec::new(),
    })
}

fn post(text: &str) -> NewPost {
    NewPost::new(Channel::X, "1", "amy", text, monday_noon())
}

fn monday_noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 12, 0, 0).unwrap()
}

fn rules(text: &str) -> RuleSet {
    RuleSet::from_toml_str(text, Path::new("rules.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn error(text: &str) -> String {
    let error = RuleSet::from_toml_str(text, Path::new("rules.toml")).unwrap_err();
    assert!(matches!(error, RulesError::Invalid { .. }));
    error.to_string()
}

#[test]
fn example_rules_file_passes_its_own_tests() {
    let rules = RuleSet::from_file(example_rules_path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(rules.rules().len() >= 10);
    let report = rules.check_with(neutral);
    assert!(report.all_passed(), "{report}");
    assert!(report.tests >= 15, "{report}");
    assert!(report.untested_rules.is_empty(), "{report}");
}

#[test]
fn check_reports_failing_tests_with_what_differed() {
    let rules = rules(
        r#"
[[rules]]
name = "complaints"
when = { complaint = true }
then = { queue = "support", priority = "high" }

[[rules.tests]]
text = "my order never came"
analysis = { complaint = true }
expect = { queue = "sales", priority = "high" }

[[rules.tests]]
text = "love it"
expect = { queue = "support" }
"#,
    );
    let report = rules.check_with(neutral);
    assert_eq!((report.tests, report.passed, report.failed), (2, 0, 2));
    let first = &report.outcomes[0];
    assert_eq!(first.line, 7);
    assert_eq!(
        first.failures,
        vec![r#"queue: expected "sales", got "support""#]
    );
    let second = &report.outcomes[1];
    assert!(
        second.failures[0].contains("to match, but it did not"),
        "{second:?}"
    );
    assert!(report.to_string().contains("0 passed, 2 failed"));
}

#[test]
fn merge_first_queue_max_priority_union_tags_first_sla_and_stop() {
    let rules = rules(
        r#"
[[rules]]
name = "tag-only"
when = { query = "refund" }
then = { tags = ["refund", "money"], priority = "low", alert = ["finance"] }

[[rules]]
name = "support"
when = { query = "refund OR late" }
then = { queue = "support", priority = "high", tags = ["money", "care"], sla = "standard" }

[[rules]]
name = "billing"
when = { query = "refund" }
then = { queue = "billing", priority = "normal", sla = "billing", alert = ["finance", "lead"], stop = true }

[[rules]]
name = "never-reached"
when = { query = "refund" }
then = { queue = "other", priority = "urgent", tags = ["late-rule"] }
"#,
    );
    let post = post("I want my refund");
    let decision = rules.route(&PostView::new(&post), monday_noon());
    assert_eq!(decision.queue, "support");
    assert_eq!(decision.priority, Priority::High);
    assert_eq!(decision.tags, vec!["refund", "money", "care"]);
    assert_eq!(decision.sla_policy.as_deref(), Some("standard"));
    assert_eq!(decision.alerts, vec!["finance", "lead"]);
    assert_eq!(
        decision.matched_rules,
        vec!["tag-only", "support", "billing"]
    );

    let other = NewPost::new(Channel::X, "2", "b", "nice weather", monday_noon());
    let decision = rules.route(&PostView::new(&other), monday_noon());
    assert_eq!(decision.queue, "unrouted");
    assert_eq!(decision.priority, Priority::Normal);
    assert!(decision.matched_rules.is_empty());
}

#[test]
fn conditions_on_analysis_author_channel_and_time() {
    let rules = rules(
        r#"
[settings]
utc_offset = "-05:00"

[[rules]]
name = "angry-reach"
when = { sentiment = { labels = ["negative"], compound_below = -0.5 }, followers_at_least = 1000, channel = ["x", "mastodon"] }
then = { queue = "pr" }

[[rules]]
name = "small"
when = { followers_below = 100 }
then = { tags = ["small"] }

[[rules]]
name = "lead"
when = { intent = { labels = ["lead"], min_confidence = 0.7 } }
then = { queue = "sales" }

[[rules]]
name = "not-a-complaint"
when = { complaint = false }
then = { tags = ["no-complaint"] }

[[rules]]
name = "night"
when = { hours = "22:00-06:00", days = ["weekdays"] }
then = { tags = ["night"] }

[[rules]]
name = "german"
when = { language = "de" }
then = { tags = ["de"] }

[[rules]]
name = "verified-reply"
when = { verified = true, is_reply = true }
then = { tags = ["verified-reply"] }
"#,
    );
    let mut angry = post("this is awful");
    angry.author.followers = Some(5000);
    let negative = with_sentiment(-0.8);
    let view = PostView {
        post: &angry,
        analysis: Some(&negative),
    };
    assert_eq!(rules.route(&view, monday_noon()).queue, "pr");
    // Without analysis, analysis conditions never hold.
    assert_eq!(
        rules.route(&PostView::new(&angry), monday_noon()).queue,
        "unrouted"
    );
    // Mildly negative is not enough.
    let mild = with_sentiment(-0.3);
    let view = PostView {
        post: &angry,
        analysis: Some(&mild),
    };
    assert_eq!(rules.route(&view, monday_noon()).queue, "unrouted");
    // Email is not in the channel list.
    let mut email = angry.clone();
    email.channel = Channel::Email;
    let view = PostView {
        post: &email,
        analysis: Some(&negative),
    };
    assert_eq!(rules.route(&view, monday_noon()).queue, "unrouted");

    // Unknown followers satisfy neither followers_at_least nor followers_below.
    let unknown = post("hello");
    let decision = rules.route(&PostView::new(&unknown), monday_noon());
    assert!(!decision.tags.contains(&"small".to_string()));
    let mut small = post("hello");
    small.author.followers = Some(12);
    let decision = rules.route(&PostView::new(&small), monday_noon());
    assert!(decision.tags.contains(&"small".to_string()));

    let mut lead = neutral(&unknown);
    lead.intent = prediction("lead", 0.9);
    lead.complaint = prediction("not_complaint", 0.9);
    let decision = rules.route(
        &PostView {
            post: &unknown,
            analysis: Some(&lead),
        },
        monday_noon(),
    );
    assert_eq!(decision.queue, "sales");
    assert!(decision.tags.contains(&"no-complaint".to_string()));
    lead.intent = prediction("lead", 0.5);
    lead.complaint = prediction("complaint", 0.9);
    let decision = rules.route(
        &PostView {
            post: &unknown,
            analysis: Some(&lead),
        },
        monday_noon(),
    );
    assert_eq!(decision.queue, "unrouted");
    assert!(!decision.tags.contains(&"no-complaint".to_string()));

    // 03:30 UTC on Tuesday is 22:30 Monday at -05:00: night on a weekday.
    let late = Utc.with_ymd_and_hms(2026, 1, 6, 3, 30, 0).unwrap();
    assert!(
        rules
            .route(&PostView::new(&unknown), late)
            .tags
            .contains(&"night".to_string())
    );
    // 17:00 UTC is noon local.
    let day = Utc.with_ymd_and_hms(2026, 1, 6, 17, 0, 0).unwrap();
    assert!(
        !rules
            .route(&PostView::new(&unknown), day)
            .tags
            .contains(&"night".to_string())
    );
    // Saturday 23:00 local is night but not a weekday.
    let saturday = Utc.with_ymd_and_hms(2026, 1, 11, 4, 0, 0).unwrap();
    assert!(
        !rules
            .route(&PostView::new(&unknown), saturday)
            .tags
            .contains(&"night".to_string())
    );

    // Language: the analysis's, else the declared one.
    let mut german = post("Koffer weg");
    german.language = Some("de".into());
    assert!(
        rules
            .route(&PostView::new(&german), monday_noon())
            .tags
            .contains(&"de".to_string())
    );

    let mut reply = post("thanks");
    reply.author.verified = true;
    reply.parent_id = Some("0".into());
    assert!(
        rules
            .route(&PostView::new(&reply), monday_noon())
            .tags
            .contains(&"verified-reply".to_string())
    );
}

#[test]
fn unknown_key_lists_known_keys_with_position() {
    let message = error(
        r#"
[[rules]]
name = "x"
[rules.when]
folowers_at_least = 10
[rules.then]
queue = "pr"
"#,
    );
    assert!(
        message.contains("rules.toml") && message.contains("5:1"),
        "{message}"
    );
    assert!(message.contains("folowers_at_least"), "{message}");
    assert!(message.contains("followers_at_least"), "{message}");
}

#[test]
fn bad_query_points_into_the_file() {
    let message = error(
        "[[rules]]\nname = \"q\"\nwhen = { query = 'delta AND' }\nthen = { queue = \"a\" }\n",
    );
    // The query text starts at column 19 of line 3; its error is at character 9 of the query.
    assert!(message.contains("3:28"), "{message}");
    assert!(
        message.contains("rule \"q\": when.query: invalid query at character 9"),
        "{message}"
    );
}

#[test]
fn every_semantic_problem_is_reported_at_once() {
    let message = error(
        r#"[settings]
utc_offset = "CET"

[[rules]]
name = "a"
when = { channel = ["x", "myspace"], hours = "25:00-06:00", sentiment = "angry", days = ["funday"] }
then = { queue = "pr", priority = "asap" }

[[rules]]
name = "a"
when = { intent = 3 }
then = { queue = "" }

[[rules.tests]]
text = "t"
at = "yesterday"
expect = {}
"#,
    );
    for needle in [
        "2:14: settings.utc_offset \"CET\"",
        "myspace",
        "when.hours \"25:00-06:00\"",
        "unknown sentiment label \"angry\"",
        "unknown day \"funday\"",
        "7:35: unknown priority \"asap\"",
        "10:8: a second rule is named \"a\"",
        "when.intent must be a label",
        "then.queue must not be empty",
        "test `at` \"yesterday\"",
    ] {
        assert!(
            message.contains(needle),
            "missing {needle:?} in:\n{message}"
        );
    }
}

#[test]
fn toml_syntax_errors_have_a_position() {
    let message = error("[[rules]]\nname = \"a\nthen = {}\n");
    assert!(message.contains("rules.toml has 1 problem"), "{message}");
    assert!(message.contains("2:"), "{message}");
    let missing_then = error("[[rules]]\nname = \"a\"\n");
    assert!(missing_then.contains("then"), "{missing_then}");
}

#[test]
fn missing_file_is_a_read_error() {
    let error = RuleSet::from_file(Path::new("/nonexistent/rules.toml")).unwrap_err();
    assert!(matches!(error, RulesError::Read { .. }));
    assert!(error.to_string().contains("/nonexistent/rules.toml"));
}

#[test]
fn disabled_rules_are_skipped() {
    let rules = rules(
        "[[rules]]\nname = \"off\"\nenabled = false\nthen = { queue = \"a\" }\n[[rules]]\nname = \"on\"\nthen = { queue = \"b\" }\n",
    );
    assert_eq!(rules.rules().len(), 1);
    let post = post("anything");
    assert_eq!(rules.route(&PostView::new(&post), monday_noon()).queue, "b");
}

#[test]
fn backtest_counts_matches_samples_and_unrouted() {
    let rules = rules(
        r#"
[[rules]]
name = "refunds"
when = { query = "refund" }
then = { queue = "billing" }

[[rules]]
name = "late"
when = { query = "late OR delayed" }
then = { queue = "support", tags = ["late"] }

[[rules]]
name = "night"
when = { hours = "00:00-06:00" }
then = { tags = ["night"] }
"#,
    );
    let texts = [
        "where is my refund",
        "flight delayed again",
        "late and no refund",
        "great service",
        "hello",
    ];
    let mut backtester = Backtester::new(&rules, None);
    for (index, text) in texts.iter().enumerate() {
        let mut post = post(text);
        if index == 4 {
            post.created_at = Utc.with_ymd_and_hms(2026, 1, 5, 2, 0, 0).unwrap();
        }
        backtester.add(index as i64 + 1, &PostView::new(&post));
    }
    let report = backtester.finish();
    assert_eq!(report.posts, 5);
    assert_eq!(report.unrouted, 2);
    assert_eq!(report.unrouted_sample_ids, vec![4, 5]);
    assert_eq!(report.rules[0].matched, 2);
    assert_eq!(report.rules[0].sample_ids, vec![1, 3]);
    assert_eq!(report.rules[1].matched, 2);
    assert_eq!(report.rules[1].decided_queue, 1);
    assert_eq!(report.rules[2].matched, 1, "hours use the post's own time");
    assert_eq!(report.queues["billing"], 2);
    assert_eq!(report.queues["unrouted"], 2);
    assert!(report.to_string().contains("unrouted: 2 (40.0%)"));
}

#[test]
fn example_rules_file_passes_with_the_shipped_analyzer() {
    let rules = RuleSet::from_file(example_rules_path()).unwrap_or_else(|e| panic!("{e}"));
    let report = rules.check();
    assert!(report.all_passed(), "{report}");
}
