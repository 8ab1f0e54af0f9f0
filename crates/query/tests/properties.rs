//! Property tests: the parser never panics, printed queries parse back to the same meaning, and a
//! `QuerySet` (with its prefilter) agrees with every query's own matcher.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use switchyard_domain::{Analysis, Channel, NewPost, SentimentResult, VaderScores};
use switchyard_query::{
    CountRange, Expr, FieldFilter, HasFeature, LabelTask, PostFlag, PostView, Query, QuerySet,
    parse,
};

const WORDS: [&str; 12] = [
    "delta", "late", "bag", "refund", "card", "credit", "delayed", "delivery", "wifi", "seat",
    "café", "gate",
];

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(WORDS.to_vec()).prop_map(str::to_string)
}

/// Any word-ish query text: terms, sigils, wildcards, operators, parentheses, quotes, fields.
fn query_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        word(),
        word().prop_map(|w| format!("#{w}")),
        word().prop_map(|w| format!("@{w}")),
        word().prop_map(|w| format!("{}*", &w[..3])),
        Just("AND".to_string()),
        Just("OR".to_string()),
        Just("NOT".to_string()),
        Just("-".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("\"".to_string()),
        (0u32..4).prop_map(|n| format!("NEAR/{n}")),
        Just("sentiment:negative".to_string()),
        Just("lang:en".to_string()),
        Just("followers:>100".to_string()),
        Just("has:hashtag".to_string()),
        Just("is:reply".to_string()),
        Just("channel:x".to_string()),
    ];
    prop::collection::vec(piece, 1..10).prop_map(|pieces| pieces.join(" "))
}

fn post_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        4 => word(),
        1 => word().prop_map(|w| format!("#{w}")),
        1 => word().prop_map(|w| format!("@{}", w.to_uppercase())),
        1 => word().prop_map(|w| format!("{w}s,")),
        1 => Just("chocolate".to_string()),
    ];
    prop::collection::vec(token, 0..14).prop_map(|tokens| tokens.join(" "))
}

#[derive(Debug)]
struct Sample {
    post: NewPost,
    analysis: Option<Analysis>,
}

fn sample() -> impl Strategy<Value = Sample> {
    (
        post_text(),
        any::<bool>(),
        prop::option::of(0u64..1000),
        prop::option::of(prop::sample::select(vec![
            "negative", "neutral", "positive",
        ])),
    )
        .prop_map(|(text, reply, followers, sentiment)| {
            let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
            let mut post = NewPost::new(Channel::X, "1", "amy", text, at);
            if reply {
                post.parent_id = Some("0".to_string());
            }
            post.author.followers = followers;
            let analysis = sentiment.map(|label| {
                let mut result = SentimentResult::from_vader(VaderScores::default());
                result.label = label.into();
                Analysis {
                    language: "en".into(),
                    language_confidence: 1.0,
                    sentiment: result,
                    complaint: None,
                    intent: None,
                    reason: None,
                    urgency: None,
                    toxicity: None,
                }
            });
            Sample { post, analysis }
        })
}

impl Sample {
    fn view(&self) -> PostView<'_> {
        PostView {
            post: &self.post,
            analysis: self.analysis.as_ref(),
        }
    }
}

fn parsed_queries() -> impl Strategy<Value = Vec<Query>> {
    prop::collection::vec(query_text(), 1..40)
        .prop_map(|texts| texts.iter().filter_map(|t| parse(t).ok()).collect())
}

/// Any expression, including shapes the parser never produces (empty groups, unfolded or empty
/// words, NEAR over groups), as a deserialized or hand-built query could hold.
fn arbitrary_expr() -> impl Strategy<Value = Expr> {
    let odd_words = vec!["#delta", "@delta", "#late", "Delta", "CAFÉ", "", "#"];
    let leaf = prop_oneof![
        word().prop_map(Expr::Term),
        prop::sample::select(odd_words).prop_map(|w| Expr::Term(w.to_string())),
        prop::collection::vec(word(), 0..3).prop_map(Expr::Phrase),
        prop::sample::select(vec!["de", "la", "ca", "#de", "@de", ""])
            .prop_map(|w| Expr::Prefix(w.to_string())),
        Just(Expr::Field(FieldFilter::Label {
            task: LabelTask::Sentiment,
            label: "Negative".to_string()
        })),
        Just(Expr::Field(FieldFilter::Followers(CountRange {
            min: Some(100),
            max: None
        }))),
        Just(Expr::Field(FieldFilter::Has(HasFeature::Hashtag))),
        Just(Expr::Field(FieldFilter::Is(PostFlag::Reply))),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Expr::Or),
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            (inner.clone(), inner, 0u32..4).prop_map(|(left, right, distance)| Expr::Near {
                left: Box::new(left),
                right: Box::new(right),
                distance
            }),
        ]
    })
}

proptest! {
    #[test]
    fn query_set_agrees_with_each_matcher_on_arbitrary_expressions(
        exprs in prop::collection::vec(arbitrary_expr(), 1..30),
        samples in prop::collection::vec(sample(), 1..10),
    ) {
        let named: Vec<(String, Query)> = exprs
            .into_iter()
            .enumerate()
            .map(|(index, expr)| (format!("q{index}"), Query { expr, source: String::new() }))
            .collect();
        let set = QuerySet::new(named.clone());
        for sample in &samples {
            let view = sample.view();
            let expected: Vec<&str> = named
                .iter()
                .filter(|(_, query)| query.compile().matches(&view))
                .map(|(name, _)| name.as_str())
                .collect();
            prop_assert_eq!(set.matching(&view), expected, "post {:?}", sample.post.text);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parser_never_panics_on_arbitrary_text(input in any::<String>()) {
        let _ = parse(&input);
    }

    #[test]
    fn parser_never_panics_on_query_like_text(input in query_text()) {
        if let Err(error) = parse(&input) {
            prop_assert!(error.position <= input.chars().count());
            let shown = error.to_string();
            prop_assert!(shown.contains('^'));
        }
    }

    #[test]
    fn printed_queries_parse_back_to_the_same_expression(input in query_text()) {
        if let Ok(query) = parse(&input) {
            let printed = query.expr.to_string();
            let reparsed = parse(&printed);
            prop_assert!(reparsed.is_ok(), "{} printed as {} fails: {:?}", input, printed, reparsed);
            prop_assert_eq!(reparsed.unwrap().expr, query.expr);
        }
    }

    #[test]
    fn serde_round_trips(input in query_text()) {
        if let Ok(query) = parse(&input) {
            let json = serde_json::to_string(&query).unwrap();
            let back: Query = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, query);
        }
    }

    #[test]
    fn query_set_agrees_with_each_matcher(queries in parsed_queries(), samples in prop::collection::vec(sample(), 1..12)) {
        let named: Vec<(String, Query)> = queries
            .iter()
            .enumerate()
            .map(|(index, query)| (format!("q{index}"), query.clone()))
            .collect();
        let set = QuerySet::new(named.clone());
        let matchers: Vec<_> = queries.iter().map(Query::compile).collect();
        for sample in &samples {
            let view = sample.view();
            let expected: Vec<&str> = named
                .iter()
                .zip(&matchers)
                .filter(|(_, matcher)| matcher.matches(&view))
                .map(|((name, _), _)| name.as_str())
                .collect();
            prop_assert_eq!(set.matching(&view), expected, "post {:?}", sample.post.text);
        }
    }
}

#[test]
fn near_operands_are_always_text() {
    for input in ["a NEAR/2 b", "\"a b\" NEAR/0 ca*", "-x NEAR/1 y"] {
        let query = parse(input).unwrap();
        let mut stack = vec![&query.expr];
        while let Some(expr) = stack.pop() {
            match expr {
                Expr::Near { left, right, .. } => {
                    assert!(left.is_proximity_operand() && right.is_proximity_operand());
                }
                Expr::And(children) | Expr::Or(children) => stack.extend(children),
                Expr::Not(child) => stack.push(child),
                _ => {}
            }
        }
    }
}

#[test]
fn query_set_agrees_on_a_fixed_mix_of_every_construct() {
    let sources = [
        "delta late",
        "late OR refund",
        "\"credit card\" refund",
        "deliv* -wifi",
        "#delta OR @delta",
        "refund NEAR/2 card",
        "NOT bag",
        "sentiment:negative gate",
        "followers:>500 OR is:reply",
        "(seat OR gate) (delayed OR late) -café",
        "has:hashtag",
        "-(delta OR bag)",
    ];
    let named: Vec<(String, Query)> = sources
        .iter()
        .map(|source| (source.to_string(), parse(source).unwrap()))
        .collect();
    let set = QuerySet::new(named.clone());
    let texts = [
        "Delta is late again",
        "refund my credit card",
        "#delta delivery failed, wifi down",
        "@DELTA my bag never made it to the gate, delayed",
        "chocolate cake at the café near gate 5, late",
        "",
    ];
    let mut total_matches = 0;
    let mut total_misses = 0;
    for (index, text) in texts.iter().enumerate() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut post = NewPost::new(Channel::X, index.to_string(), "amy", *text, at);
        post.author.followers = Some(index as u64 * 200);
        let view = PostView::new(&post);
        let expected: Vec<&str> = named
            .iter()
            .filter(|(_, query)| query.compile().matches(&view))
            .map(|(name, _)| name.as_str())
            .collect();
        total_matches += expected.len();
        total_misses += named.len() - expected.len();
        assert_eq!(set.matching(&view), expected, "{text}");
    }
    assert!(total_matches > 10 && total_misses > 10);
}
