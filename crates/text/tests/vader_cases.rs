//! Hand-picked VADER cases frozen from the Python reference: the README examples, emoji, ALL
//! CAPS, "but", negation, "no", "least", idioms and punctuation. Expected values come from
//! `vaderSentiment` 3.3.2 with its `SPECIAL_CASES` set to those of commit 44fc044c (the only
//! difference that matters here: "broken heart" −2.9, "beating heart" 3.1). Runs without shared data.

use switchyard_text::Vader;

/// (text, [neg, neu, pos, compound]) as the reference prints them.
const CASES: &[(&str, [f64; 4])] = &[
    (
        "VADER is smart, handsome, and funny.",
        [0.0, 0.254, 0.746, 0.8316],
    ),
    (
        "VADER is smart, handsome, and funny!",
        [0.0, 0.248, 0.752, 0.8439],
    ),
    (
        "VADER is very smart, handsome, and funny.",
        [0.0, 0.299, 0.701, 0.8545],
    ),
    (
        "VADER is VERY SMART, handsome, and FUNNY.",
        [0.0, 0.246, 0.754, 0.9227],
    ),
    (
        "VADER is VERY SMART, handsome, and FUNNY!!!",
        [0.0, 0.233, 0.767, 0.9342],
    ),
    (
        "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
        [0.0, 0.294, 0.706, 0.9469],
    ),
    (
        "VADER is not smart, handsome, nor funny.",
        [0.646, 0.354, 0.0, -0.7424],
    ),
    ("The book was good.", [0.0, 0.508, 0.492, 0.4404]),
    (
        "At least it isn't a horrible book.",
        [0.0, 0.678, 0.322, 0.431],
    ),
    (
        "The book was only kind of good.",
        [0.0, 0.697, 0.303, 0.3832],
    ),
    (
        "The plot was good, but the characters are uncompelling and the dialog is not great.",
        [0.327, 0.579, 0.094, -0.7042],
    ),
    ("Today SUX!", [0.779, 0.221, 0.0, -0.5461]),
    (
        "Today only kinda sux! But I'll get by, lol",
        [0.127, 0.556, 0.317, 0.5249],
    ),
    ("Make sure you :) or :D today!", [0.0, 0.294, 0.706, 0.8633]),
    (
        "Catch utf-8 emoji such as 💘 and 💋 and 😁",
        [0.0, 0.583, 0.417, 0.875],
    ),
    ("Not bad at all", [0.0, 0.513, 0.487, 0.431]),
    (
        "Sentiment analysis has never been good.",
        [0.325, 0.675, 0.0, -0.3412],
    ),
    (
        "Sentiment analysis has never been this good!",
        [0.0, 0.621, 0.379, 0.5672],
    ),
    (
        "Most automated sentiment analysis tools are shit.",
        [0.375, 0.625, 0.0, -0.5574],
    ),
    (
        "With VADER, sentiment analysis is the shit!",
        [0.0, 0.583, 0.417, 0.6476],
    ),
    (
        "Other sentiment analysis tools can be quite bad.",
        [0.351, 0.649, 0.0, -0.5849],
    ),
    (
        "On the other hand, VADER is quite bad ass",
        [0.0, 0.423, 0.577, 0.802],
    ),
    ("VADER is such a badass!", [0.0, 0.598, 0.402, 0.4003]),
    (
        "Without a doubt, excellent idea.",
        [0.0, 0.341, 0.659, 0.7013],
    ),
    (
        "Roger Dodger is one of the most compelling variations on this theme.",
        [0.0, 0.834, 0.166, 0.2944],
    ),
    (
        "Roger Dodger is at least compelling as a variation on the theme.",
        [0.0, 0.853, 0.147, 0.2263],
    ),
    (
        "Roger Dodger is one of the least compelling variations on this theme.",
        [0.132, 0.868, 0.0, -0.1695],
    ),
    ("Not such a badass after all.", [0.289, 0.711, 0.0, -0.2584]),
    (
        "Without a doubt, an excellent idea.",
        [0.0, 0.408, 0.592, 0.7013],
    ),
    (
        "@united thanks for the great service, flight was on time 👍",
        [0.0, 0.479, 0.521, 0.8689],
    ),
    (
        "@AmericanAir worst airline EVER. lost my bag AGAIN 😡😡",
        [0.39, 0.61, 0.0, -0.7506],
    ),
    (
        "no problems at all with my booking",
        [0.0, 0.727, 0.273, 0.3089],
    ),
    (
        "There is no love or joy in this",
        [0.518, 0.482, 0.0, -0.7536],
    ),
    ("no", [1.0, 0.0, 0.0, -0.296]),
    ("No way this is good??", [0.26, 0.355, 0.385, 0.264]),
    ("what???? really????", [0.0, 1.0, 0.0, 0.0]),
    ("I love it!!!!!!", [0.0, 0.271, 0.729, 0.7482]),
    (
        "good good good but bad bad bad",
        [0.675, 0.047, 0.277, -0.9081],
    ),
    ("bad but good good", [0.205, 0.091, 0.703, 0.7543]),
    ("it is the bomb", [0.0, 0.429, 0.571, 0.6124]),
    (
        "this is a kiss of death for the project",
        [0.417, 0.583, 0.0, -0.6124],
    ),
    ("that cake is to die for", [0.438, 0.562, 0.0, -0.5994]),
    ("yeah right, great job", [0.0, 0.241, 0.759, 0.743]),
    ("he has a broken heart", [0.722, 0.278, 0.0, -0.8316]),
    ("the bus stop was nice", [0.355, 0.645, 0.0, -0.296]),
    ("I don't like it", [0.413, 0.587, 0.0, -0.2755]),
    ("I never so loved a movie", [0.0, 0.455, 0.545, 0.7899]),
    ("not the worst flight", [0.0, 0.477, 0.523, 0.5096]),
    ("not really that good", [0.465, 0.535, 0.0, -0.3843]),
    ("hardly good at all", [0.0, 0.535, 0.465, 0.3832]),
    ("the service was sort of ok", [0.0, 0.724, 0.276, 0.228]),
    ("😀abc ok", [0.0, 0.175, 0.825, 0.5719]),
    ("ok😀", [0.0, 0.175, 0.825, 0.5719]),
    ("", [0.0, 0.0, 0.0, 0.0]),
    ("   ", [0.0, 0.0, 0.0, 0.0]),
    (":) :( :-D", [0.292, 0.0, 0.708, 0.6289]),
    ("GREAT", [0.0, 0.0, 1.0, 0.6249]),
    (
        "GREAT service but TERRIBLE food",
        [0.47, 0.269, 0.261, -0.516],
    ),
    ("I'm SO HAPPY today", [0.0, 0.355, 0.645, 0.755]),
    ("this is the least bad option", [0.0, 0.637, 0.363, 0.431]),
    ("very least good", [0.0, 0.386, 0.614, 0.4902]),
    ("🔛 the flight", [0.0, 1.0, 0.0, 0.0]),
    ("café is délicieux and great", [0.0, 0.494, 0.506, 0.6249]),
    ("ÉNORME SUCCÈS great", [0.0, 0.328, 0.672, 0.6249]),
    ("wow, just enough good", [0.0, 0.23, 0.77, 0.7717]),
    (
        "Could not be happier with @delta :)",
        [0.258, 0.464, 0.278, 0.0577],
    ),
    (
        "The flight was delayed 3 hours... fantastic. #not",
        [0.165, 0.522, 0.313, 0.4019],
    ),
    ("not not good", [0.0, 0.495, 0.505, 0.2594]),
];

#[test]
fn hand_cases_match_the_reference_exactly() {
    let vader = Vader::new();
    let mut failures = Vec::new();
    for (text, [neg, neu, pos, compound]) in CASES {
        let got = vader.polarity_scores(text);
        if got.neg != *neg || got.neu != *neu || got.pos != *pos || got.compound != *compound {
            failures.push(format!(
                "{text:?}: got neg={} neu={} pos={} compound={}, want {neg} {neu} {pos} {compound}",
                got.neg, got.neu, got.pos, got.compound
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
    assert!(CASES.len() >= 50);
}
