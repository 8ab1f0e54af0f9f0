//! Property tests: any input string is handled without panics, and outputs keep their invariants
//! (token spans in order on char boundaries, known language codes, VADER scores in range).

use proptest::prelude::*;
use switchyard_text::{Vader, language, tokens};

fn social_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z@#:;()'’!?.,<3 😀👍🏽🇫🇷\u{200d}\u{fe0f}éÜßçñ-]{0,80}",
    ]
}

proptest! {
    #[test]
    fn tokens_have_ordered_valid_spans(text in social_text()) {
        let mut last_end = 0;
        for token in tokens::tokenize(&text) {
            prop_assert!(token.start >= last_end);
            prop_assert!(token.start < token.end);
            prop_assert!(text.is_char_boundary(token.start) && text.is_char_boundary(token.end));
            prop_assert!(!token.as_str().is_empty());
            last_end = token.end;
        }
    }

    #[test]
    fn language_codes_are_known(text in social_text()) {
        let detected = language::detect(&text);
        prop_assert!(detected.code == "und" || language::supported_languages().contains(&detected.code));
        prop_assert!((0.0..=1.0).contains(&detected.confidence));
    }

    #[test]
    fn vader_scores_stay_in_range(text in social_text()) {
        let scores = Vader::new().polarity_scores(&text);
        prop_assert!((-1.0..=1.0).contains(&scores.compound));
        for part in [scores.neg, scores.neu, scores.pos] {
            prop_assert!((0.0..=1.0).contains(&part));
        }
    }
}
