//! Matching semantics, end to end: parse a query, compile it, run it on posts.

use chrono::{TimeZone, Utc};
use switchyard_domain::{Analysis, Channel, NewPost, Prediction, SentimentResult, VaderScores};
use switchyard_query::{PostView, QuerySet, parse};

fn post(text: &str) -> NewPost {
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    NewPost::new(Channel::X, "1", "Amy_Flyer", text, at)
}

fn analysis(sentiment: &str, intent: Option<&str>) -> Analysis {
    let mut sentiment_result = SentimentResult::from_vader(VaderScores::default());
    sentiment_result.label = sentiment.into();
    Analysis {
        language: "en".into(),
        language_confidence: 0.9,
        sentiment: sentiment_result,
        complaint: None,
        intent: intent.map(|label| Prediction {
            label: label.into(),
            confidence: 0.8,
            model: "test".into(),
            explain: Vec::new(),
        }),
        reason: Some(Prediction {
            label: "lost_luggage".into(),
            confidence: 0.7,
            model: "test".into(),
            explain: Vec::new(),
        }),
        urgency: None,
        toxicity: None,
    }
}

fn matches(query: &str, text: &str) -> bool {
    let query = parse(query).unwrap_or_else(|e| panic!("{e}"));
    query.compile().matches(&PostView::new(&post(text)))
}

#[test]
fn words_match_whole_tokens_case_insensitively() {
    assert!(matches("late", "Flight is LATE again"));
    assert!(!matches("late", "I love chocolate"));
    assert!(!matches("late", "it is later now"));
    assert!(matches("cafe", "Le Café est fermé"));
    assert!(matches("fermé", "LE CAFE EST FERME"));
}

#[test]
fn boolean_operators() {
    let text = "Delta lost my bag, no refund";
    assert!(matches("delta bag", text));
    assert!(matches("delta AND (bag OR luggage)", text));
    assert!(!matches("delta -refund", text));
    assert!(!matches("delta NOT refund", text));
    assert!(matches("united OR delta", text));
    assert!(!matches("united OR (delta -bag)", text));
    assert!(matches("NOT united", text));
}

#[test]
fn phrases_need_consecutive_tokens() {
    assert!(matches("\"lost my bag\"", "Delta LOST my bag!"));
    assert!(!matches("\"lost bag\"", "Delta lost my bag"));
    assert!(matches("wi-fi", "the wi fi is down"));
}

#[test]
fn wildcard_matches_token_prefixes_only() {
    assert!(matches("deliver*", "still not delivered"));
    assert!(matches("deliver*", "Delivery failed"));
    assert!(!matches("deliver*", "undelivered parcel"));
}

#[test]
fn near_counts_words_between_in_either_order() {
    let text = "refund for my credit card please";
    assert!(matches("refund NEAR/2 \"credit card\"", text));
    assert!(!matches("refund NEAR/1 \"credit card\"", text));
    assert!(matches("card NEAR/3 refund", text));
    assert!(matches("please NEAR/0 card", text));
    assert!(!matches("refund NEAR/10 refund", text));
    assert!(matches("refund NEAR/3 cred*", text));
}

#[test]
fn hashtags_and_mentions() {
    let text = "@Delta worst airline #DeltaFail";
    assert!(matches("#deltafail", text));
    assert!(
        matches("deltafail", text),
        "a plain word also finds the hashtag"
    );
    assert!(matches("@delta", text));
    assert!(!matches("#delta", text), "the mention is not a hashtag");
    assert!(!matches("@deltafail", text));
    assert!(matches("#delta*", text));
    assert!(matches("has:hashtag has:mention", text));
    assert!(!matches("has:link", text));
    assert!(matches("has:link", "see https://example.com/x"));
}

#[test]
fn post_fields() {
    let mut reply = post("hi");
    reply.parent_id = Some("0".to_string());
    reply.author.followers = Some(5_000);
    reply.author.verified = true;
    reply.language = Some("en-US".to_string());
    let view = PostView::new(&reply);
    let check = |query: &str| parse(query).unwrap().compile().matches(&view);
    assert!(check("is:reply is:verified is:public -is:private"));
    assert!(check("author:@amy_flyer author:AMY_FLYER channel:twitter"));
    assert!(!check("author:amy"));
    assert!(!check("channel:mastodon"));
    assert!(check("followers:>4999 followers:<=5k followers:1k..10k"));
    assert!(!check("followers:>5000"));
    assert!(
        check("lang:en"),
        "declared language is used without analysis"
    );
    assert!(!check("lang:de"));

    let anonymous = post("hi");
    assert!(
        !parse("followers:>=0")
            .unwrap()
            .compile()
            .matches(&PostView::new(&anonymous))
    );
}

#[test]
fn analysis_fields_need_an_analysis() {
    let plain = post("my bag is gone");
    let analysed = analysis("negative", Some("complaint"));
    let with = PostView::with_analysis(&plain, &analysed);
    let without = PostView::new(&plain);
    for query in [
        "sentiment:negative",
        "intent:complaint",
        "reason:\"lost luggage\"",
        "reason:lost_luggage",
    ] {
        let matcher = parse(query).unwrap().compile();
        assert!(matcher.matches(&with), "{query}");
        assert!(!matcher.matches(&without), "{query} without analysis");
    }
    assert!(
        !parse("sentiment:positive")
            .unwrap()
            .compile()
            .matches(&with)
    );
    assert!(!parse("urgency:high").unwrap().compile().matches(&with));
    assert!(
        parse("NOT sentiment:positive")
            .unwrap()
            .compile()
            .matches(&with)
    );
}

#[test]
fn query_set_reports_matches_in_order_including_field_only_queries() {
    let queries = vec![
        (
            "delta".to_string(),
            parse("delta (late OR delay*)").unwrap(),
        ),
        ("not-spam".to_string(), parse("NOT spam").unwrap()),
        ("negative".to_string(), parse("sentiment:negative").unwrap()),
        ("united".to_string(), parse("united").unwrap()),
        (
            "bags".to_string(),
            parse("\"lost bag\" OR luggage").unwrap(),
        ),
    ];
    let set = QuerySet::new(queries);
    assert_eq!(set.len(), 5);
    assert_eq!(
        set.names().collect::<Vec<_>>(),
        ["delta", "not-spam", "negative", "united", "bags"]
    );
    assert_eq!(set.always_evaluated(), 2);
    let text = post("Delta flight delayed, lost bag");
    let analysed = analysis("negative", None);
    assert_eq!(
        set.matching(&PostView::with_analysis(&text, &analysed)),
        ["delta", "not-spam", "negative", "bags"]
    );
    let spam = post("spam spam chocolate");
    assert!(set.matching(&PostView::new(&spam)).is_empty());
}
