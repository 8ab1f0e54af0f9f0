//! Realistic listening workloads shared by the `query_set` bench and the `listening_cpu` example:
//! 1,000 generated brand/product/keyword queries and posts (real airline tweets from
//! `../shared/data` when present, read at run time and never copied; otherwise posts generated
//! from templates written for this repository).

#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use switchyard_domain::{Analysis, Channel, NewPost, SentimentResult, VaderScores};
use switchyard_query::{Query, parse};

const BRANDS: [&str; 60] = [
    "united",
    "delta",
    "southwest",
    "jetblue",
    "usairways",
    "americanair",
    "virginamerica",
    "skyway",
    "shopnorth",
    "metrobank",
    "airbnb",
    "uber",
    "lyft",
    "netflix",
    "spotify",
    "comcast",
    "xfinity",
    "verizon",
    "tmobile",
    "sprint",
    "att",
    "amazon",
    "walmart",
    "target",
    "costco",
    "starbucks",
    "mcdonalds",
    "chipotle",
    "dominos",
    "apple",
    "samsung",
    "google",
    "microsoft",
    "xbox",
    "playstation",
    "nintendo",
    "tesla",
    "ford",
    "toyota",
    "hertz",
    "avis",
    "expedia",
    "booking",
    "marriott",
    "hilton",
    "chase",
    "wellsfargo",
    "citi",
    "paypal",
    "venmo",
    "fedex",
    "ups",
    "usps",
    "dhl",
    "ikea",
    "nike",
    "adidas",
    "sephora",
    "hulu",
    "disney",
];

const PRODUCTS: [&str; 24] = [
    "app",
    "website",
    "card",
    "account",
    "order",
    "flight",
    "delivery",
    "subscription",
    "plan",
    "router",
    "phone",
    "seat",
    "booking",
    "refund",
    "update",
    "store",
    "checkout",
    "wifi",
    "password",
    "points",
    "upgrade",
    "baggage",
    "ticket",
    "support",
];

const KEYWORDS: [&str; 48] = [
    "late",
    "delayed",
    "cancelled",
    "refund",
    "lost",
    "broken",
    "rude",
    "waiting",
    "hold",
    "crash",
    "outage",
    "down",
    "error",
    "charged",
    "overcharged",
    "fraud",
    "scam",
    "worst",
    "terrible",
    "awful",
    "never",
    "again",
    "thanks",
    "love",
    "great",
    "amazing",
    "help",
    "complaint",
    "stuck",
    "missing",
    "damaged",
    "slow",
    "fee",
    "bag",
    "luggage",
    "gate",
    "crew",
    "service",
    "customer",
    "hours",
    "minutes",
    "email",
    "call",
    "chat",
    "agent",
    "manager",
    "compensation",
    "voucher",
];

const STEMS: [&str; 10] = [
    "deliver",
    "cancel",
    "refund",
    "delay",
    "charg",
    "disconnect",
    "complain",
    "frustrat",
    "disappoint",
    "recommend",
];

const TEMPLATES: [&str; 16] = [
    "@{b} my {p} is {k} again. {k2} for 2 hours and nobody helps",
    "Thanks @{b} for the quick {p} fix, {k} service!",
    "why is the {b} {p} always {k}?? #{b}fail",
    "{b} {p} {k} {k2} — unbelievable. Not flying/buying with you again",
    "RT @traveler: {b} just {k} my {p}, third time this month",
    "Has anyone else had their {p} {k} by {b}? https://t.co/x1y2z3",
    "@{b} @{b}support {k} {p}, please DM me, order 48213",
    "Love the new {b} {p} update, dark mode looks great #happy",
    "{k} {k2} {p}. {b} customer service put me on hold for 45 minutes",
    "I've been a {b} customer for 10 years and this {p} is {k}",
    "Can't log in to the {b} {p}: error 503 {k}",
    "Flight 2291 delayed 3 hours, {b} crew was {k} though",
    "{b} refunded my {p} within a day, {k}!",
    "our {p} arrived {k} and the box was {k2}. @{b} what now?",
    "honestly {b} > everyone else for {p} #{b}",
    "chocolate cake at the gate was the only good part of my {b} trip",
];

/// A small deterministic generator so runs are comparable (no dependency on `rand`).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
}

/// 1,000 queries in the shapes people write for brand listening.
pub fn generate_queries(count: usize) -> Vec<(String, Query)> {
    generate_query_texts(count)
        .into_iter()
        .map(|(name, text)| {
            let query =
                parse(&text).unwrap_or_else(|error| panic!("generated query failed:\n{error}"));
            (name, query)
        })
        .collect()
}

/// The texts of [`generate_queries`], named `q0`, `q1`…
pub fn generate_query_texts(count: usize) -> Vec<(String, String)> {
    let mut rng = Lcg(7);
    let mut queries = Vec::with_capacity(count);
    for index in 0..count {
        let brand = rng.pick(&BRANDS);
        let product = rng.pick(&PRODUCTS);
        let k1 = rng.pick(&KEYWORDS);
        let k2 = rng.pick(&KEYWORDS);
        let k3 = rng.pick(&KEYWORDS);
        let stem = rng.pick(&STEMS);
        let text = match index % 20 {
            0..=3 => format!("{brand} ({k1} OR {k2} OR {k3})"),
            4 | 5 => format!("(\"{brand} {product}\" OR #{brand} OR @{brand}) -{k1}"),
            6 | 7 => format!("@{brand} {stem}*"),
            8 => format!("{brand} NEAR/3 {k1}"),
            9 => format!("({brand} OR #{brand}fail) {product} sentiment:negative"),
            10 => format!("{brand} {product} ({k1} OR {stem}*) -\"{k2} {k3}\""),
            11 => format!("\"{k1} {product}\" {brand} lang:en"),
            12 => format!("{brand} followers:>1000"),
            13 => format!("{brand} ({product} OR {k1}) is:reply"),
            14 => format!("#{brand} OR #{brand}fail OR #{brand}help"),
            15 => format!("{brand} -has:link -(\"{k1} {k2}\")"),
            16 => format!("{k1} NEAR/2 {product} ({brand} OR @{brand})"),
            17 => format!("{brand} (\"{k1} {k2}\" OR \"{k2} {k3}\" OR {stem}*)"),
            // A few queries with no required word: they bypass the prefilter.
            18 if index % 100 == 18 => {
                format!("sentiment:negative followers:>{}", 1000 * (index % 7 + 1))
            }
            19 if index % 100 == 19 => format!("NOT {k1} is:verified"),
            _ => format!("{brand} {k1}"),
        };
        queries.push((format!("q{index}"), text));
    }
    queries
}

/// Real airline tweets when `../shared/data` is present (read at run time, never copied).
pub fn airline_texts() -> Option<Vec<String>> {
    let dir = switchyard_domain::testdata::shared_data_dir()?;
    let mut reader = csv::Reader::from_path(dir.join("airline/train.csv")).ok()?;
    let text_column = reader.headers().ok()?.iter().position(|h| h == "text")?;
    let texts: Vec<String> = reader
        .records()
        .filter_map(Result::ok)
        .filter_map(|record| record.get(text_column).map(str::to_string))
        .take(4_000)
        .collect();
    (!texts.is_empty()).then_some(texts)
}

pub fn generated_texts(count: usize) -> Vec<String> {
    let mut rng = Lcg(11);
    (0..count)
        .map(|_| {
            let brand = rng.pick(&BRANDS);
            rng.pick(&TEMPLATES)
                .replace("{b}", brand)
                .replace("{p}", rng.pick(&PRODUCTS))
                .replace("{k}", rng.pick(&KEYWORDS))
                .replace("{k2}", rng.pick(&KEYWORDS))
        })
        .collect()
}

pub fn to_posts(texts: &[String]) -> Vec<(NewPost, Analysis)> {
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    texts
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let mut post = NewPost::new(Channel::X, index.to_string(), "someone", text.clone(), at);
            post.author.followers = Some((index as u64 * 7919) % 20_000);
            if index % 3 == 0 {
                post.parent_id = Some("1".to_string());
            }
            let compound = if index % 2 == 0 { -0.6 } else { 0.3 };
            let analysis = Analysis {
                language: "en".into(),
                language_confidence: 0.99,
                sentiment: SentimentResult::from_vader(VaderScores {
                    neg: 0.2,
                    neu: 0.7,
                    pos: 0.1,
                    compound,
                }),
                complaint: None,
                intent: None,
                reason: None,
                urgency: None,
                toxicity: None,
            };
            (post, analysis)
        })
        .collect()
}
