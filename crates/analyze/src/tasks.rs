//! The shipped models' recipes: which data each task trains on (with the documented label
//! mappings), the fixed splits and seeds, hyper-parameters, agents' corrections, and the
//! `train_all` / `eval_all` entry points behind `switchyard train` and `switchyard eval`.
//! These functions read the shared data from disk; they do no network I/O.

use crate::baseline::ProfanityCheck;
use crate::data::{self, AirlineTweet, ComplaintTweet};
use crate::error::AnalyzeError;
use crate::features::Features;
use crate::metrics::Confusion;
use crate::model::{LinearModel, ModelHeader};
use crate::train::{self, Example, SplitMix, TrainConfig};
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use switchyard_text::Vader;

/// The version every shipped model carries (bumped when a recipe changes).
pub const MODEL_VERSION: &str = "2026.11.24.3";
/// The seed of every shuffle and split.
pub const SEED: u64 = 20261123;
/// How much one agent correction counts, in training examples (documented in docs/accuracy.md).
pub const CORRECTION_WEIGHT: f32 = 5.0;
/// Weight of an airline tweet in sentiment training (semeval has 4× as many tweets; customer-care
/// text is what Switchyard sees, so it counts 3×; chosen by airline CV and TweetEval validation).
pub const AIRLINE_SENTIMENT_WEIGHT: f32 = 3.0;
/// Share of the customer-care model in the shipped sentiment weights: the model fitted on all the
/// sentiment data is blended, weight by weight, with one fitted (same hyper-parameters) on the
/// customer-care part alone (airline tweets and agents' corrections), `0.75 · all + 0.25 · care`.
/// Still one linear model, so it costs nothing at run time. Chosen by airline 5-fold CV and
/// TweetEval validation (0.25: airline 0.815 → 0.822, TweetEval 0.750 → 0.752; docs/accuracy.md).
pub const CUSTOMER_CARE_BLEND: f32 = 0.25;

/// Customer-care tweets as weakly labelled toxicity examples (see [`Corpus::toxicity_items`]):
/// TweetEval's offensive set ties anger to offence, so the model trained on it alone called 17 %
/// of plain, profanity-free complaints offensive. Airline tweets that the profanity-check model
/// (`../shared/data/toxicity`) scores below [`CARE_CLEAN_BELOW`] join training as
/// `not_offensive` with weight [`CARE_TOXICITY_WEIGHT`]; those it scores at least
/// [`CARE_PROFANE_FROM`] join as `offensive` with [`CARE_PROFANE_WEIGHT`] (so customer-care
/// phrasing itself does not become evidence of innocence). Chosen by TweetEval offensive
/// validation and the complaints corpus, which stays out of toxicity training (docs/accuracy.md).
pub const CARE_TOXICITY_WEIGHT: f32 = 0.3;
/// profanity-check probability below which a customer-care tweet counts as clean.
pub const CARE_CLEAN_BELOW: f64 = 0.2;
/// profanity-check probability from which a customer-care tweet counts as offensive.
pub const CARE_PROFANE_FROM: f64 = 0.5;
/// Weight of a profane customer-care tweet (they are 30× rarer than the clean ones).
pub const CARE_PROFANE_WEIGHT: f32 = 0.9;

/// Identity terms that get no weight from the toxicity prior: profanity-check learned from
/// comment data in which they often stood in abuse, so its weights for them are high (`queer`
/// 22.7, `gay` 16.3, `blacks` 12.8, `deaf` 10.6, against `stupid` 29.8), and folded into our
/// model they made "I'm queer and I love this app" offensive. The terms are those of Dixon et al.
/// 2018 ("Measuring and Mitigating Unintended Bias in Text Classification") with plurals and a
/// few more of the same kinds; the model still learns each from OLID like any word.
pub const PRIOR_EXCLUDED_IDENTITY_TERMS: &[&str] = &[
    "lesbian",
    "lesbians",
    "gay",
    "gays",
    "bisexual",
    "bi",
    "transgender",
    "trans",
    "queer",
    "queers",
    "lgbt",
    "lgbtq",
    "homosexual",
    "homosexuals",
    "straight",
    "heterosexual",
    "male",
    "males",
    "female",
    "females",
    "nonbinary",
    "man",
    "men",
    "woman",
    "women",
    "girl",
    "girls",
    "boy",
    "boys",
    "african",
    "africans",
    "black",
    "blacks",
    "white",
    "whites",
    "european",
    "europeans",
    "hispanic",
    "hispanics",
    "latino",
    "latinos",
    "latina",
    "latinas",
    "latinx",
    "mexican",
    "mexicans",
    "canadian",
    "canadians",
    "american",
    "americans",
    "asian",
    "asians",
    "indian",
    "indians",
    "arab",
    "arabs",
    "chinese",
    "japanese",
    "korean",
    "immigrant",
    "immigrants",
    "refugee",
    "refugees",
    "christian",
    "christians",
    "buddhist",
    "buddhists",
    "catholic",
    "catholics",
    "protestant",
    "protestants",
    "sikh",
    "sikhs",
    "jewish",
    "jew",
    "jews",
    "muslim",
    "muslims",
    "islam",
    "islamic",
    "hindu",
    "hindus",
    "taoist",
    "atheist",
    "atheists",
    "old",
    "older",
    "young",
    "younger",
    "teenage",
    "teenager",
    "teenagers",
    "elderly",
    "blind",
    "deaf",
    "disabled",
    "paralyzed",
    "autistic",
    "wheelchair",
];

/// Sentiment labels, in weight-column order.
pub const SENTIMENT_CLASSES: [&str; 3] = ["negative", "neutral", "positive"];
/// Complaint labels.
pub const COMPLAINT_CLASSES: [&str; 2] = ["not_complaint", "complaint"];
/// Intent labels the intent model learns; `suggestion` and `lead` come from rules on top.
pub const INTENT_MODEL_CLASSES: [&str; 4] = ["complaint", "question", "praise", "other"];
/// Every intent label an analysis can carry.
pub const INTENT_LABELS: [&str; 6] = [
    "complaint",
    "question",
    "praise",
    "suggestion",
    "lead",
    "other",
];
/// Complaint reasons, generalised beyond airlines.
pub const REASON_CLASSES: [&str; 9] = [
    "delay",
    "cancellation",
    "lost_or_damaged_item",
    "billing_refund",
    "booking_or_order",
    "staff_service",
    "product_defect",
    "website_app_glitch",
    "other",
];
/// Toxicity labels.
pub const TOXICITY_CLASSES: [&str; 2] = ["not_offensive", "offensive"];

/// The learned tasks, in training order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Sentiment,
    Complaint,
    Intent,
    Reason,
    Toxicity,
}

impl Task {
    /// Every learned task.
    pub const ALL: [Task; 5] = [
        Task::Sentiment,
        Task::Complaint,
        Task::Intent,
        Task::Reason,
        Task::Toxicity,
    ];

    /// The task name used in `analysis.<task>` and corrections.
    pub fn name(self) -> &'static str {
        match self {
            Task::Sentiment => "sentiment",
            Task::Complaint => "complaint",
            Task::Intent => "intent",
            Task::Reason => "reason",
            Task::Toxicity => "toxicity",
        }
    }

    /// The task by name.
    pub fn from_name(name: &str) -> Option<Task> {
        Task::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The labels of its model.
    pub fn classes(self) -> &'static [&'static str] {
        match self {
            Task::Sentiment => &SENTIMENT_CLASSES,
            Task::Complaint => &COMPLAINT_CLASSES,
            Task::Intent => &INTENT_MODEL_CLASSES,
            Task::Reason => &REASON_CLASSES,
            Task::Toxicity => &TOXICITY_CLASSES,
        }
    }

    /// The model file name under `models/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Task::Sentiment => "sentiment.swym",
            Task::Complaint => "complaint.swym",
            Task::Intent => "intent.swym",
            Task::Reason => "reason.swym",
            Task::Toxicity => "toxicity.swym",
        }
    }

    /// Hyper-parameters (chosen on the validation splits documented in docs/accuracy.md).
    pub fn config(self) -> TrainConfig {
        let base = TrainConfig {
            seed: SEED,
            ..TrainConfig::default()
        };
        match self {
            Task::Sentiment => TrainConfig {
                hash_bits: 18,
                epochs: 20,
                learning_rate: 0.03,
                l2: 1e-5,
                min_df: 2,
                class_balance: 0.5,
                ..base
            },
            Task::Complaint => TrainConfig {
                hash_bits: 17,
                epochs: 10,
                learning_rate: 0.1,
                l2: 1e-4,
                min_df: 2,
                class_balance: 1.0,
                ..base
            },
            Task::Intent => TrainConfig {
                hash_bits: 17,
                epochs: 20,
                learning_rate: 0.03,
                l2: 1e-5,
                min_df: 2,
                class_balance: 0.5,
                ..base
            },
            Task::Reason => TrainConfig {
                hash_bits: 16,
                epochs: 20,
                learning_rate: 0.03,
                l2: 1e-5,
                min_df: 2,
                class_balance: 0.5,
                ..base
            },
            Task::Toxicity => TrainConfig {
                // 18 like sentiment: the interleaved table has 2^18 rows anyway, so the extra
                // buckets cost nothing at run time (offensive val macro F1 0.709 → 0.715).
                hash_bits: 18,
                epochs: 10,
                learning_rate: 0.03,
                l2: 1e-3,
                min_df: 2,
                class_balance: 1.0,
                ..base
            },
        }
    }

    fn training_note(self) -> &'static str {
        match self {
            Task::Sentiment => {
                "semeval2017/train.tsv minus the 926 texts also in tweeteval/sentiment val, plus all \
                 11,588 airline/train.csv tweets at weight 3 (leaked reason names restored); weights = \
                 0.75 × this model + 0.25 × the same recipe fitted on the airline tweets (and \
                 corrections) alone; temperature fitted on tweeteval/sentiment val (never trained on)"
            }
            Task::Complaint => {
                "all 3,055 complaints/train.csv tweets; temperature fitted on out-of-fold \
                 predictions of 10-fold CV"
            }
            Task::Intent => {
                "derived labels: complaint = complaints label 1 + every 3rd airline negative; \
                 question = every 4th banking77 query + airline neutral and complaints label-0 \
                 tweets with '?'; praise = airline positive + every 10th semeval positive; other = \
                 complaints random_* control tweets + every 10th semeval neutral + airline neutral \
                 without '?'; temperature from 5-fold CV"
            }
            Task::Reason => {
                "airline negative reasons mapped to cross-domain reasons (leak restored) + \
                 banking77 intents mapped to reasons (≤ 60 per intent, weight 0.5) + complaints \
                 software/electronics complaints (website_app_glitch/product_defect) + CFPB \
                 billing issues; temperature from 5-fold CV on the airline part"
            }
            Task::Toxicity => {
                "tweeteval/offensive train (11,916 tweets) + airline tweets weakly labelled by \
                 profanity-check (negative tweets scored < 0.2 as not_offensive at weight 0.3, \
                 tweets scored >= 0.5 as offensive at weight 0.9); profanity-check's word weights \
                 (idf x mean coefficient, identity terms left out) as a per-word prior whose learned \
                 scale is folded into the unigram weights; temperature fitted on tweeteval/offensive val"
            }
        }
    }

    fn licence_note(self) -> &'static str {
        match self {
            Task::Sentiment => {
                "weights derived from SemEval 2013-2016 (research use) and Twitter US Airline \
                 Sentiment (CC BY-NC-SA 4.0): treat this model as non-commercial, share-alike"
            }
            Task::Complaint => "weights derived from complaints-social-media (research use)",
            Task::Intent => {
                "weights derived from complaints (research use), airline (CC BY-NC-SA 4.0), \
                 banking77 (CC BY 4.0), SemEval (research use): treat as non-commercial"
            }
            Task::Reason => {
                "weights derived from airline (CC BY-NC-SA 4.0), banking77 (CC BY 4.0), complaints \
                 (research use), CFPB (US public data): treat as non-commercial"
            }
            Task::Toxicity => {
                "weights derived from TweetEval offensive (OLID, research use) and airline \
                 (CC BY-NC-SA 4.0) tweets labelled by profanity-check (MIT), with profanity-check's word \
                 weights (MIT) as a prior: treat as non-commercial"
            }
        }
    }
}

/// An agent's correction of one label, folded into the next training run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub text: String,
    /// `sentiment`, `complaint`, `intent`, `reason` or `toxicity`.
    pub task: String,
    pub label: String,
}

/// Turns texts into hashed feature lists (VADER + tokens), reusing its scratch space.
#[derive(Debug, Default)]
pub struct Featurizer {
    vader: Vader,
    features: Features,
}

impl Featurizer {
    pub fn new() -> Featurizer {
        Featurizer::default()
    }

    /// The hashed features of one text.
    pub fn example(&mut self, text: &str, label: usize, weight: f32) -> Example {
        let vader = self.vader.polarity_scores(text);
        self.features.extract(text, &vader);
        Example::new(&self.features.items, label, weight)
    }

    /// The token string used to find the same text in two data sets.
    pub fn dedup_key(&mut self, text: &str) -> String {
        self.features.extract(text, &Default::default());
        let mut key = String::new();
        for i in 0..self.features.tokens.len() {
            key.push_str(self.features.token_text(i));
            key.push(' ');
        }
        key
    }
}

fn class_index(classes: &[&str], label: &str) -> Option<usize> {
    classes.iter().position(|c| *c == label)
}

/// A text with its label index, weight and a group tag saying where it came from.
#[derive(Debug, Clone)]
struct Item {
    text: String,
    label: usize,
    weight: f32,
    /// Which part of the data it belongs to (e.g. `airline`), for grouped evaluation.
    group: &'static str,
}

fn item(text: &str, label: usize, weight: f32, group: &'static str) -> Item {
    Item {
        text: text.to_string(),
        label,
        weight,
        group,
    }
}

fn sentiment_index(label: &str) -> Option<usize> {
    class_index(&SENTIMENT_CLASSES, label)
}

/// Everything the recipes read from the shared data folder, loaded once.
#[derive(Debug)]
pub struct Corpus {
    pub semeval: Vec<data::Labelled>,
    pub tweeteval_sentiment_val: Vec<data::Labelled>,
    pub airline: Vec<AirlineTweet>,
    pub complaints: Vec<ComplaintTweet>,
    pub banking77: Vec<data::Labelled>,
    pub cfpb: Vec<data::CfpbNarrative>,
    pub offensive_train: Vec<data::Labelled>,
    pub offensive_val: Vec<data::Labelled>,
    /// The exported profanity-check model: weak toxicity labels for customer-care tweets.
    pub profanity: ProfanityCheck,
    pub data_dir: PathBuf,
}

impl Corpus {
    /// Loads every data set the recipes use; semeval loses the texts also in TweetEval's
    /// sentiment validation set, so that set stays a fair validation set.
    pub fn load(data_dir: &Path) -> Result<Corpus, AnalyzeError> {
        let semeval = data::semeval(data_dir)?;
        let tweeteval_sentiment_val = data::tweeteval(data_dir, "sentiment", "val")?;
        let mut featurizer = Featurizer::new();
        let held: HashSet<String> = tweeteval_sentiment_val
            .iter()
            .map(|l| featurizer.dedup_key(&l.text))
            .collect();
        let semeval = semeval
            .into_iter()
            .filter(|l| !held.contains(&featurizer.dedup_key(&l.text)))
            .collect();
        Ok(Corpus {
            semeval,
            tweeteval_sentiment_val,
            airline: data::airline(data_dir)?,
            complaints: data::complaints(data_dir)?,
            banking77: data::banking77(data_dir)?,
            cfpb: data::cfpb(data_dir)?,
            offensive_train: data::tweeteval(data_dir, "offensive", "train")?,
            offensive_val: data::tweeteval(data_dir, "offensive", "val")?,
            profanity: ProfanityCheck::load(data_dir)?,
            data_dir: data_dir.to_path_buf(),
        })
    }

    fn items(&self, task: Task) -> Vec<Item> {
        match task {
            Task::Sentiment => self.sentiment_items(),
            Task::Complaint => self.complaint_items(),
            Task::Intent => self.intent_items(),
            Task::Reason => self.reason_items(),
            Task::Toxicity => self.toxicity_items(),
        }
    }

    /// The per-bucket prior a task's training leans on ([`train::fit_with_prior`]): for
    /// toxicity, profanity-check's weight of each of its 15,442 vocabulary words (idf × mean
    /// coefficient, [`ProfanityCheck::word_weights`]), put on the buckets that word's unigram
    /// features (plain and negated) fall in. Identity terms
    /// ([`PRIOR_EXCLUDED_IDENTITY_TERMS`]) and words our tokeniser does not keep as one word
    /// token are left out. Other tasks have none.
    pub fn prior(&self, task: Task, hash_bits: u32) -> Option<Vec<f32>> {
        if task != Task::Toxicity {
            return None;
        }
        let mask = (1u64 << hash_bits) - 1;
        let mut prior = vec![0f32; 1 << hash_bits];
        let mut features = Features::new();
        for (word, weight) in self.profanity.word_weights() {
            if PRIOR_EXCLUDED_IDENTITY_TERMS.contains(&word) {
                continue;
            }
            if let Some((plain, negated)) = features.word_hashes(word) {
                prior[(plain & mask) as usize] += weight as f32;
                prior[(negated & mask) as usize] += weight as f32;
            }
        }
        Some(prior)
    }

    /// TweetEval offensive train, plus customer-care tweets weakly labelled by profanity-check
    /// (see [`CARE_TOXICITY_WEIGHT`]).
    fn toxicity_items(&self) -> Vec<Item> {
        let mut items: Vec<Item> = self
            .offensive_train
            .iter()
            .map(|l| {
                item(
                    &l.text,
                    usize::from(l.label == "offensive"),
                    1.0,
                    "offensive",
                )
            })
            .collect();
        for tweet in &self.airline {
            let profane = self.profanity.probability(&tweet.text);
            if profane >= CARE_PROFANE_FROM {
                items.push(item(&tweet.text, 1, CARE_PROFANE_WEIGHT, "care"));
            } else if profane < CARE_CLEAN_BELOW && tweet.sentiment == "negative" {
                items.push(item(&tweet.text, 0, CARE_TOXICITY_WEIGHT, "care"));
            }
        }
        items
    }

    fn sentiment_items(&self) -> Vec<Item> {
        let mut items: Vec<Item> = self
            .semeval
            .iter()
            .filter_map(|l| Some(item(&l.text, sentiment_index(&l.label)?, 1.0, "semeval")))
            .collect();
        items.extend(self.airline.iter().filter_map(|t| {
            Some(item(
                &t.text,
                sentiment_index(&t.sentiment)?,
                AIRLINE_SENTIMENT_WEIGHT,
                "airline",
            ))
        }));
        items
    }

    fn complaint_items(&self) -> Vec<Item> {
        self.complaints
            .iter()
            .map(|t| item(&t.text, usize::from(t.complaint), 1.0, "complaints"))
            .collect()
    }

    fn intent_items(&self) -> Vec<Item> {
        let [complaint, question, praise, other] = [0, 1, 2, 3];
        let mut items = Vec::new();
        for t in &self.complaints {
            let random = t.domain.starts_with("random");
            if t.complaint {
                items.push(item(&t.text, complaint, 1.0, "complaints"));
            } else if random {
                items.push(item(&t.text, other, 1.0, "complaints"));
            } else if t.text.contains('?') {
                items.push(item(&t.text, question, 1.0, "complaints"));
            }
        }
        let mut negatives = 0usize;
        for t in &self.airline {
            match t.sentiment.as_str() {
                "negative" => {
                    negatives += 1;
                    if negatives.is_multiple_of(3) {
                        items.push(item(&t.text, complaint, 1.0, "airline"));
                    }
                }
                "positive" => items.push(item(&t.text, praise, 1.0, "airline")),
                _ if t.text.contains('?') => items.push(item(&t.text, question, 1.0, "airline")),
                _ => items.push(item(&t.text, other, 1.0, "airline")),
            }
        }
        for (i, l) in self.banking77.iter().enumerate() {
            if i.is_multiple_of(4) {
                items.push(item(&l.text, question, 1.0, "banking77"));
            }
        }
        let (mut positives, mut neutrals) = (0usize, 0usize);
        for l in &self.semeval {
            if l.label == "positive" {
                positives += 1;
                if positives.is_multiple_of(10) {
                    items.push(item(&l.text, praise, 1.0, "semeval"));
                }
            } else if l.label == "neutral" {
                neutrals += 1;
                if neutrals.is_multiple_of(10) {
                    items.push(item(&l.text, other, 1.0, "semeval"));
                }
            }
        }
        items
    }

    fn reason_items(&self) -> Vec<Item> {
        let mut items = Vec::new();
        for t in &self.airline {
            if let Some(reason) = airline_reason(&t.reason) {
                items.push(item(&t.text, reason, 1.0, "airline"));
            }
        }
        let mut per_intent: std::collections::BTreeMap<&str, usize> = Default::default();
        for l in &self.banking77 {
            let Some(reason) = banking_reason(&l.label) else {
                continue;
            };
            let seen = per_intent.entry(l.label.as_str()).or_default();
            *seen += 1;
            if *seen <= 60 {
                items.push(item(&l.text, reason, 0.5, "banking77"));
            }
        }
        for t in &self.complaints {
            let reason = match (t.complaint, t.domain.as_str()) {
                (true, "software") => 7,
                (true, "electronics") => 6,
                _ => continue,
            };
            items.push(item(&t.text, reason, 1.0, "complaints"));
        }
        for n in &self.cfpb {
            if cfpb_is_billing(&n.issue) {
                items.push(item(&n.text, 3, 1.0, "cfpb"));
            }
        }
        items
    }
}

/// Airline `negativereason` → cross-domain reason index (`None`: no reason given).
pub fn airline_reason(reason: &str) -> Option<usize> {
    let name = match reason {
        "Late Flight" => "delay",
        "Cancelled Flight" => "cancellation",
        "Lost Luggage" | "Damaged Luggage" => "lost_or_damaged_item",
        "Flight Booking Problems" => "booking_or_order",
        "Customer Service Issue" | "Flight Attendant Complaints" | "longlines" => "staff_service",
        "Bad Flight" => "product_defect",
        "Can't Tell" => "other",
        _ => return None,
    };
    class_index(&REASON_CLASSES, name)
}

/// BANKING77 intent → reason index, for the intents that describe a problem.
pub fn banking_reason(intent: &str) -> Option<usize> {
    let name = match intent {
        "extra_charge_on_statement"
        | "card_payment_fee_charged"
        | "request_refund"
        | "Refund_not_showing_up"
        | "transaction_charged_twice"
        | "transfer_fee_charged"
        | "cash_withdrawal_charge"
        | "exchange_charge"
        | "top_up_by_card_charge"
        | "top_up_by_bank_transfer_charge"
        | "card_payment_wrong_exchange_rate"
        | "wrong_exchange_rate_for_cash_withdrawal"
        | "wrong_amount_of_cash_received"
        | "card_payment_not_recognised"
        | "direct_debit_payment_not_recognised"
        | "cash_withdrawal_not_recognised" => "billing_refund",
        "card_arrival"
        | "pending_transfer"
        | "pending_card_payment"
        | "pending_top_up"
        | "pending_cash_withdrawal"
        | "transfer_not_received_by_recipient"
        | "balance_not_updated_after_bank_transfer"
        | "balance_not_updated_after_cheque_or_cash_deposit" => "delay",
        "lost_or_stolen_card" | "lost_or_stolen_phone" | "card_swallowed" => "lost_or_damaged_item",
        "card_not_working"
        | "contactless_not_working"
        | "virtual_card_not_working"
        | "declined_card_payment"
        | "declined_transfer"
        | "declined_cash_withdrawal"
        | "top_up_failed"
        | "failed_transfer"
        | "pin_blocked" => "product_defect",
        "unable_to_verify_identity" => "website_app_glitch",
        "terminate_account" | "cancel_transfer" => "cancellation",
        _ => return None,
    };
    class_index(&REASON_CLASSES, name)
}

fn cfpb_is_billing(issue: &str) -> bool {
    matches!(
        issue,
        "Problem with a purchase shown on your statement"
            | "Trouble during payment process"
            | "Problem when making payments"
            | "Problem with a lender or other company charging your account"
            | "Fees or interest"
            | "Wrong amount charged or received"
            | "Problem with a purchase or transfer"
            | "Attempts to collect debt not owed"
    )
}

fn featurize(items: &[Item], featurizer: &mut Featurizer) -> Vec<Example> {
    items
        .iter()
        .map(|i| featurizer.example(&i.text, i.label, i.weight))
        .collect()
}

/// Deterministic fold of each index (`k` folds, seeded shuffle).
fn folds(count: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..count).collect();
    SplitMix::new(seed).shuffle(&mut order);
    let mut fold = vec![0; count];
    for (position, index) in order.into_iter().enumerate() {
        fold[index] = position % k;
    }
    fold
}

/// One task's training set as its recipe fits it: hyper-parameters, the items (text, label,
/// weight, group), their features and the task's prior ([`Corpus::prior`]).
struct Recipe {
    task: Task,
    config: TrainConfig,
    items: Vec<Item>,
    groups: Vec<&'static str>,
    examples: Vec<Example>,
    prior: Option<Vec<f32>>,
}

impl Recipe {
    fn new(corpus: &Corpus, task: Task, items: Vec<Item>, featurizer: &mut Featurizer) -> Recipe {
        let config = task.config();
        Recipe {
            task,
            groups: items.iter().map(|i| i.group).collect(),
            examples: featurize(&items, featurizer),
            prior: corpus.prior(task, config.hash_bits),
            config,
            items,
        }
    }

    /// The task's weights fitted on every item.
    fn fit(&self) -> Vec<f32> {
        fit_recipe(
            self.task,
            &self.examples,
            &self.groups,
            &self.config,
            self.prior.as_deref(),
        )
    }

    /// Out-of-fold scores ([`cross_validate`]).
    fn cross_validate(&self, evaluated: Option<&str>, k: usize) -> Vec<(Vec<f32>, usize)> {
        cross_validate(
            self.task,
            &self.examples,
            &self.groups,
            evaluated,
            k,
            &self.config,
            self.prior.as_deref(),
        )
    }
}

/// Fits one task's weights: a single logistic regression, except for sentiment, where the model
/// fitted on everything is blended with one fitted on the customer-care part alone (airline
/// tweets and corrections), see [`CUSTOMER_CARE_BLEND`]. `groups[i]` says where example `i`
/// came from.
fn fit_recipe(
    task: Task,
    examples: &[Example],
    groups: &[&'static str],
    config: &TrainConfig,
    prior: Option<&[f32]>,
) -> Vec<f32> {
    let classes = task.classes().len();
    let weights = train::fit_with_prior(examples, classes, config, prior);
    if task != Task::Sentiment {
        return weights;
    }
    let care: Vec<Example> = examples
        .iter()
        .zip(groups)
        .filter(|(_, g)| matches!(**g, "airline" | "correction"))
        .map(|(e, _)| e.clone())
        .collect();
    let care_weights = train::fit_with_prior(&care, classes, config, prior);
    train::blend(&weights, &care_weights, CUSTOMER_CARE_BLEND)
}

/// Out-of-fold scores for the examples whose group is `evaluated` (all when `None`); examples of
/// other groups always stay in training. Each fold is fitted with the task's `prior`, as the
/// shipped model is.
fn cross_validate(
    task: Task,
    examples: &[Example],
    groups: &[&'static str],
    evaluated: Option<&str>,
    k: usize,
    config: &TrainConfig,
    prior: Option<&[f32]>,
) -> Vec<(Vec<f32>, usize)> {
    let classes = task.classes().len();
    let fold = folds(examples.len(), k, config.seed ^ 0xF01D);
    let in_scope = |i: usize| evaluated.is_none_or(|g| groups[i] == g);
    let mut out = vec![(Vec::new(), 0usize); examples.len()];
    for f in 0..k {
        let kept: Vec<usize> = (0..examples.len())
            .filter(|i| !(in_scope(*i) && fold[*i] == f))
            .collect();
        let training: Vec<Example> = kept.iter().map(|i| examples[*i].clone()).collect();
        let training_groups: Vec<&'static str> = kept.iter().map(|i| groups[*i]).collect();
        let weights = fit_recipe(task, &training, &training_groups, config, prior);
        for i in (0..examples.len()).filter(|i| in_scope(*i) && fold[*i] == f) {
            let scores = train::scores(&weights, config.hash_bits, classes, &examples[i].features);
            out[i] = (scores, examples[i].label);
        }
    }
    (0..examples.len())
        .filter(|i| in_scope(*i))
        .map(|i| std::mem::take(&mut out[i]))
        .collect()
}

fn confusion(scored: &[(Vec<f32>, usize)], classes: usize) -> Confusion {
    let mut c = Confusion::new(classes);
    for (scores, label) in scored {
        c.add(*label, train::argmax(scores));
    }
    c
}

fn validation_scores(
    weights: &[f32],
    config: &TrainConfig,
    classes: usize,
    examples: &[Example],
) -> Vec<(Vec<f32>, usize)> {
    examples
        .iter()
        .map(|e| {
            (
                train::scores(weights, config.hash_bits, classes, &e.features),
                e.label,
            )
        })
        .collect()
}

/// One figure of the evaluation table.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalRow {
    pub task: String,
    pub dataset: String,
    /// How our figure was obtained (validation split, k-fold CV…).
    pub method: String,
    pub metric: String,
    pub ours: f64,
    /// VADER's figure on the same examples, where it answers the task.
    pub vader: Option<f64>,
    /// Another baseline measured here (e.g. profanity-check), with its name.
    pub baseline: Option<(String, f64)>,
    /// Published anchors (data README), as text.
    pub anchors: String,
    /// The figure we must reach on held-out data, if one is set.
    pub target: Option<f64>,
}

/// Every figure `switchyard eval` prints.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EvalReport {
    pub rows: Vec<EvalRow>,
}

impl EvalReport {
    /// The row for a task, data set and metric.
    pub fn find(&self, task: &str, dataset: &str, metric: &str) -> Option<&EvalRow> {
        self.rows
            .iter()
            .find(|r| r.task == task && r.dataset == dataset && r.metric == metric)
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "| task | data set | method | metric | ours | VADER | other baseline | target | published anchors |"
        )?;
        writeln!(f, "|---|---|---|---|---|---|---|---|---|")?;
        for r in &self.rows {
            let vader = r.vader.map_or("—".to_string(), |v| format!("{v:.3}"));
            let baseline = r
                .baseline
                .as_ref()
                .map_or("—".to_string(), |(n, v)| format!("{n} {v:.3}"));
            let target = r.target.map_or("—".to_string(), |t| format!("≥ {t:.2}"));
            writeln!(
                f,
                "| {} | {} | {} | {} | **{:.3}** | {} | {} | {} | {} |",
                r.task, r.dataset, r.method, r.metric, r.ours, vader, baseline, target, r.anchors
            )?;
        }
        Ok(())
    }
}

/// What one model's training produced.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainedModel {
    pub task: String,
    pub path: PathBuf,
    pub bytes: usize,
    pub examples: usize,
    pub corrections: usize,
    pub temperature: f32,
}

/// What `train_all` did: the model files written, corrections used or skipped (with why).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrainReport {
    pub models: Vec<TrainedModel>,
    pub skipped_corrections: Vec<(Correction, String)>,
}

impl fmt::Display for TrainReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.models {
            writeln!(
                f,
                "{:<10} {} ({} bytes, {} examples, {} corrections, temperature {:.2})",
                m.task,
                m.path.display(),
                m.bytes,
                m.examples,
                m.corrections,
                m.temperature
            )?;
        }
        for (c, why) in &self.skipped_corrections {
            writeln!(f, "skipped correction {:?} → {}: {why}", c.task, c.label)?;
        }
        Ok(())
    }
}

fn correction_items(task: Task, corrections: &[Correction]) -> Vec<Item> {
    corrections
        .iter()
        .filter(|c| c.task == task.name())
        .filter_map(|c| {
            let label = class_index(task.classes(), &c.label)?;
            Some(item(&c.text, label, CORRECTION_WEIGHT, "correction"))
        })
        .collect()
}

fn check_corrections(corrections: &[Correction]) -> Vec<(Correction, String)> {
    let mut skipped = Vec::new();
    for c in corrections {
        let problem = match Task::from_name(&c.task) {
            None if c.task == "urgency" => {
                Some("urgency comes from rules, not a trained model; edit the rules instead".into())
            }
            None => Some(format!(
                "unknown task; use one of {}",
                Task::ALL.map(Task::name).join(", ")
            )),
            Some(task) if class_index(task.classes(), &c.label).is_none() => Some(format!(
                "unknown label for {}; use one of {}",
                task.name(),
                task.classes().join(", ")
            )),
            Some(_) if c.text.trim().is_empty() => Some("the text is empty".into()),
            Some(_) => None,
        };
        if let Some(problem) = problem {
            skipped.push((c.clone(), problem));
        }
    }
    skipped
}

/// Trains one task's shipped model (and its calibration) from the corpus plus corrections.
pub fn train_task(
    corpus: &Corpus,
    task: Task,
    corrections: &[Correction],
) -> Result<(LinearModel, usize, usize), AnalyzeError> {
    let classes = task.classes().len();
    let mut featurizer = Featurizer::new();
    let mut items = corpus.items(task);
    let extra = correction_items(task, corrections);
    let correction_count = extra.len();
    items.extend(extra);
    let recipe = Recipe::new(corpus, task, items, &mut featurizer);
    let config = &recipe.config;
    // Calibration data: a fixed validation set where one exists, else out-of-fold scores.
    let held_out = match task {
        Task::Sentiment | Task::Toxicity => {
            let validation = match task {
                Task::Sentiment => corpus
                    .tweeteval_sentiment_val
                    .iter()
                    .filter_map(|l| Some(item(&l.text, sentiment_index(&l.label)?, 1.0, "val")))
                    .collect::<Vec<_>>(),
                _ => corpus
                    .offensive_val
                    .iter()
                    .map(|l| item(&l.text, usize::from(l.label == "offensive"), 1.0, "val"))
                    .collect(),
            };
            let validation = featurize(&validation, &mut featurizer);
            let weights = recipe.fit();
            let temperature =
                train::fit_temperature(&validation_scores(&weights, config, classes, &validation));
            return finish(
                task,
                weights,
                temperature,
                recipe.examples.len(),
                correction_count,
            );
        }
        _ => {
            let k = if task == Task::Complaint { 10 } else { 5 };
            let evaluated = if task == Task::Reason {
                Some("airline")
            } else {
                None
            };
            recipe.cross_validate(evaluated, k)
        }
    };
    let temperature = train::fit_temperature(&held_out);
    finish(
        task,
        recipe.fit(),
        temperature,
        recipe.examples.len(),
        correction_count,
    )
}

fn finish(
    task: Task,
    weights: Vec<f32>,
    temperature: f32,
    examples: usize,
    corrections: usize,
) -> Result<(LinearModel, usize, usize), AnalyzeError> {
    let config = task.config();
    let header = ModelHeader {
        name: format!("{}-lr", task.name()),
        version: MODEL_VERSION.to_string(),
        task: task.name().to_string(),
        classes: task.classes().iter().map(|c| c.to_string()).collect(),
        hash_bits: config.hash_bits,
        features: crate::features::FEATURES_VERSION.to_string(),
        temperature,
        training: format!(
            "{}; multinomial logistic regression, AdaGrad, epochs {}, learning rate {}, L2 {}, \
             min df {}, class balance {}, seed {}, corrections {} (weight {})",
            task.training_note(),
            config.epochs,
            config.learning_rate,
            config.l2,
            config.min_df,
            config.class_balance,
            config.seed,
            corrections,
            CORRECTION_WEIGHT
        ),
        licence: task.licence_note().to_string(),
    };
    Ok((
        LinearModel::from_parts(header, weights)?,
        examples,
        corrections,
    ))
}

/// Rebuilds every shipped model from the shared data (plus agents' corrections) and writes the
/// model files into `out_dir` (`models/` in the repository). Deterministic: the same data and
/// corrections give byte-identical files.
pub fn train_all(
    data_dir: &Path,
    out_dir: &Path,
    corrections: &[Correction],
) -> Result<TrainReport, AnalyzeError> {
    let corpus = Corpus::load(data_dir)?;
    std::fs::create_dir_all(out_dir).map_err(|source| AnalyzeError::Io {
        action: "create the model folder",
        path: out_dir.to_path_buf(),
        source,
    })?;
    let mut report = TrainReport {
        skipped_corrections: check_corrections(corrections),
        ..TrainReport::default()
    };
    for task in Task::ALL {
        let (model, examples, used) = train_task(&corpus, task, corrections)?;
        let bytes = model.to_bytes();
        let path = out_dir.join(task.file_name());
        std::fs::write(&path, &bytes).map_err(|source| AnalyzeError::Io {
            action: "write the model file",
            path: path.clone(),
            source,
        })?;
        report.models.push(TrainedModel {
            task: task.name().to_string(),
            path,
            bytes: bytes.len(),
            examples,
            corrections: used,
            temperature: model.header.temperature,
        });
    }
    Ok(report)
}

fn vader_label(featurizer: &Featurizer, text: &str) -> usize {
    let compound = featurizer.vader.polarity_scores(text).compound;
    if compound >= 0.05 {
        2
    } else if compound <= -0.05 {
        0
    } else {
        1
    }
}

/// Measures every task on data it was not trained on (validation splits and k-fold CV; the
/// recipes are retrained per fold) beside VADER, other baselines and the published anchors.
pub fn eval_all(data_dir: &Path) -> Result<EvalReport, AnalyzeError> {
    let corpus = Corpus::load(data_dir)?;
    let mut report = EvalReport::default();
    let mut featurizer = Featurizer::new();

    // Sentiment: TweetEval validation (deduplicated from training) and airline 5-fold CV.
    let sentiment = Recipe::new(
        &corpus,
        Task::Sentiment,
        corpus.items(Task::Sentiment),
        &mut featurizer,
    );
    let weights = sentiment.fit();
    let validation: Vec<Item> = corpus
        .tweeteval_sentiment_val
        .iter()
        .filter_map(|l| Some(item(&l.text, sentiment_index(&l.label)?, 1.0, "val")))
        .collect();
    let validation_examples = featurize(&validation, &mut featurizer);
    let ours = confusion(
        &validation_scores(&weights, &sentiment.config, 3, &validation_examples),
        3,
    );
    let mut vader = Confusion::new(3);
    for i in &validation {
        vader.add(i.label, vader_label(&featurizer, &i.text));
    }
    report.rows.push(EvalRow {
        task: "sentiment".into(),
        dataset: "TweetEval sentiment val (2,000; overlap removed from training)".into(),
        method: "validation split".into(),
        metric: "macro recall".into(),
        ours: ours.macro_recall(),
        vader: Some(vader.macro_recall()),
        baseline: None,
        anchors: "test: SVM 0.629, FastText 0.629, RoBERTa-base 0.713; TF-IDF+LR 0.632".into(),
        target: Some(0.64),
    });
    let airline_scored = sentiment.cross_validate(Some("airline"), 5);
    let ours = confusion(&airline_scored, 3);
    let mut vader = Confusion::new(3);
    for i in sentiment.items.iter().filter(|i| i.group == "airline") {
        vader.add(i.label, vader_label(&featurizer, &i.text));
    }
    report.rows.push(EvalRow {
        task: "sentiment".into(),
        dataset: "airline train.csv (11,588)".into(),
        method: "5-fold CV (semeval always in training)".into(),
        metric: "accuracy".into(),
        ours: ours.accuracy(),
        vader: Some(vader.accuracy()),
        baseline: Some((
            "majority".into(),
            majority_share(&sentiment.items, "airline", 3),
        )),
        anchors: "TF-IDF+LR 0.809; TF-IDF+SVM/LR 0.77–0.81".into(),
        target: Some(0.82),
    });
    report.rows.push(EvalRow {
        task: "sentiment".into(),
        dataset: "airline train.csv (11,588)".into(),
        method: "5-fold CV (semeval always in training)".into(),
        metric: "macro F1".into(),
        ours: ours.macro_f1(),
        vader: Some(vader.macro_f1()),
        baseline: None,
        anchors: "TF-IDF+LR 0.763".into(),
        target: None,
    });

    // Complaint: 10-fold CV.
    let complaint = Recipe::new(
        &corpus,
        Task::Complaint,
        corpus.items(Task::Complaint),
        &mut featurizer,
    );
    let ours = confusion(&complaint.cross_validate(None, 10), 2);
    let mut vader = Confusion::new(2);
    for i in &complaint.items {
        vader.add(i.label, usize::from(vader_label(&featurizer, &i.text) == 0));
    }
    report.rows.push(EvalRow {
        task: "complaint".into(),
        dataset: "complaints train.csv (3,055)".into(),
        method: "10-fold CV".into(),
        metric: "macro F1".into(),
        ours: ours.macro_f1(),
        vader: Some(vader.macro_f1()),
        baseline: None,
        anchors: "BoW LR 0.775, best 0.79 (ACL 2019); transformers 0.87; TF-IDF+LR 10-fold 0.776"
            .into(),
        target: Some(0.78),
    });

    // Intent and reason: k-fold CV on the derived labels.
    for task in [Task::Intent, Task::Reason] {
        let classes = task.classes().len();
        let recipe = Recipe::new(&corpus, task, corpus.items(task), &mut featurizer);
        let evaluated = if task == Task::Reason {
            Some("airline")
        } else {
            None
        };
        let ours = confusion(&recipe.cross_validate(evaluated, 5), classes);
        let dataset = if task == Task::Reason {
            "airline negative reasons → cross-domain reasons (leak restored)"
        } else {
            "derived intent labels (see docs/accuracy.md)"
        };
        for (metric, value) in [("accuracy", ours.accuracy()), ("macro F1", ours.macro_f1())] {
            report.rows.push(EvalRow {
                task: task.name().into(),
                dataset: dataset.into(),
                method: "5-fold CV".into(),
                metric: metric.into(),
                ours: value,
                vader: None,
                baseline: None,
                anchors: "none published for this label set".into(),
                target: None,
            });
        }
    }

    // Toxicity: TweetEval offensive validation, profanity-check beside it.
    let toxicity = Recipe::new(
        &corpus,
        Task::Toxicity,
        corpus.items(Task::Toxicity),
        &mut featurizer,
    );
    let config = &toxicity.config;
    let weights = toxicity.fit();
    let validation: Vec<Item> = corpus
        .offensive_val
        .iter()
        .map(|l| item(&l.text, usize::from(l.label == "offensive"), 1.0, "val"))
        .collect();
    let validation_examples = featurize(&validation, &mut featurizer);
    let ours = confusion(
        &validation_scores(&weights, config, 2, &validation_examples),
        2,
    );
    let mut profanity_check = Confusion::new(2);
    for i in &validation {
        profanity_check.add(
            i.label,
            usize::from(corpus.profanity.probability(&i.text) >= 0.5),
        );
    }
    let baseline = Some(("profanity-check".to_string(), profanity_check.macro_f1()));
    report.rows.push(EvalRow {
        task: "toxicity".into(),
        dataset: "TweetEval offensive val (1,324)".into(),
        method: "validation split".into(),
        metric: "macro F1".into(),
        ours: ours.macro_f1(),
        vader: None,
        baseline,
        anchors: "test: SVM 0.523, FastText 0.734, RoBERTa 0.805; profanity-check 0.732".into(),
        target: Some(0.76),
    });
    // Customer care: complaints to brands (a corpus toxicity never trains on), split by what
    // profanity-check says of them; how many of each kind the model calls offensive.
    let profanity: Vec<f64> = corpus
        .complaints
        .iter()
        .map(|t| corpus.profanity.probability(&t.text))
        .collect();
    for clean in [true, false] {
        let texts: Vec<Item> = corpus
            .complaints
            .iter()
            .zip(&profanity)
            .filter(|(t, profane)| {
                if clean {
                    t.complaint && **profane < CARE_CLEAN_BELOW
                } else {
                    **profane >= CARE_PROFANE_FROM
                }
            })
            .map(|(t, _)| item(&t.text, usize::from(!clean), 1.0, "complaints"))
            .collect();
        let scored = validation_scores(&weights, config, 2, &featurize(&texts, &mut featurizer));
        let flagged = scored.iter().filter(|(s, _)| s[1] > s[0]).count();
        let dataset = if clean {
            format!(
                "complaints corpus complaints with profanity-check < {CARE_CLEAN_BELOW} (want low)"
            )
        } else {
            format!(
                "complaints corpus tweets with profanity-check >= {CARE_PROFANE_FROM} (want high)"
            )
        };
        report.rows.push(EvalRow {
            task: "toxicity".into(),
            dataset: format!("{dataset} ({})", texts.len()),
            method: "never trained on".into(),
            metric: "share called offensive".into(),
            ours: flagged as f64 / texts.len().max(1) as f64,
            vader: None,
            baseline: None,
            anchors: "none published".into(),
            target: None,
        });
    }
    // Unintended bias: neutral and friendly sentences that only name an identity, each of
    // which should be not_offensive (Dixon et al. 2018's template method, our own templates).
    let texts: Vec<Item> = identity_template_sentences()
        .into_iter()
        .map(|text| item(&text, 0, 1.0, "identity"))
        .collect();
    let scored = validation_scores(&weights, config, 2, &featurize(&texts, &mut featurizer));
    let flagged = scored.iter().filter(|(s, _)| s[1] > s[0]).count();
    let profanity_flagged = texts
        .iter()
        .filter(|i| corpus.profanity.probability(&i.text) >= 0.5)
        .count();
    let share = |n: usize| n as f64 / texts.len().max(1) as f64;
    report.rows.push(EvalRow {
        task: "toxicity".into(),
        dataset: format!(
            "neutral identity-term sentences, {} terms x {} templates (want 0) ({})",
            IDENTITY_TEMPLATE_TERMS.len(),
            IDENTITY_TEMPLATES.len(),
            texts.len()
        ),
        method: "never trained on".into(),
        metric: "share called offensive".into(),
        ours: share(flagged),
        vader: None,
        baseline: Some(("profanity-check".to_string(), share(profanity_flagged))),
        anchors: "none published".into(),
        target: None,
    });
    Ok(report)
}

/// Identity terms (adjectives) for the unintended-bias check in `eval`.
pub const IDENTITY_TEMPLATE_TERMS: [&str; 44] = [
    "lesbian",
    "gay",
    "bisexual",
    "transgender",
    "trans",
    "queer",
    "lgbt",
    "homosexual",
    "straight",
    "heterosexual",
    "nonbinary",
    "african",
    "black",
    "white",
    "european",
    "hispanic",
    "latino",
    "latina",
    "mexican",
    "canadian",
    "american",
    "asian",
    "indian",
    "arab",
    "chinese",
    "japanese",
    "korean",
    "christian",
    "buddhist",
    "catholic",
    "protestant",
    "sikh",
    "jewish",
    "muslim",
    "hindu",
    "atheist",
    "old",
    "young",
    "teenage",
    "elderly",
    "blind",
    "deaf",
    "disabled",
    "autistic",
];

/// Neutral or friendly customer-care sentences with one identity term (`{}`) each.
pub const IDENTITY_TEMPLATES: [&str; 8] = [
    "I am {} and I love this airline",
    "As a {} customer, I had a great experience",
    "My {} friend recommended your app",
    "Being {} is part of who I am",
    "The {} staff at the gate were so kind",
    "{} people fly with you too",
    "Hi, I'm {}, how do I change my booking?",
    "We are a {} family traveling next week",
];

/// Every template filled with every term.
pub fn identity_template_sentences() -> Vec<String> {
    IDENTITY_TEMPLATES
        .iter()
        .flat_map(|template| {
            IDENTITY_TEMPLATE_TERMS
                .iter()
                .map(move |term| template.replace("{}", term))
        })
        .collect()
}

fn majority_share(items: &[Item], group: &str, classes: usize) -> f64 {
    let mut counts = vec![0usize; classes];
    let mut total = 0usize;
    for i in items.iter().filter(|i| i.group == group) {
        counts[i.label] += 1;
        total += 1;
    }
    counts.into_iter().max().unwrap_or(0) as f64 / total.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_balanced_and_deterministic() {
        let a = folds(103, 5, 7);
        assert_eq!(a, folds(103, 5, 7));
        for f in 0..5 {
            let n = a.iter().filter(|x| **x == f).count();
            assert!((20..=21).contains(&n));
        }
    }

    #[test]
    fn reason_mappings_cover_the_airline_reasons() {
        for reason in [
            "Late Flight",
            "Cancelled Flight",
            "Lost Luggage",
            "Damaged Luggage",
            "Flight Booking Problems",
            "Customer Service Issue",
            "Flight Attendant Complaints",
            "longlines",
            "Bad Flight",
            "Can't Tell",
        ] {
            assert!(airline_reason(reason).is_some(), "{reason}");
        }
        assert_eq!(airline_reason(""), None);
        assert_eq!(
            REASON_CLASSES[banking_reason("request_refund").unwrap()],
            "billing_refund"
        );
    }

    #[test]
    fn bad_corrections_are_reported_not_fatal() {
        let corrections = vec![
            Correction {
                text: "ok".into(),
                task: "sentiment".into(),
                label: "angry".into(),
            },
            Correction {
                text: "ok".into(),
                task: "urgency".into(),
                label: "high".into(),
            },
            Correction {
                text: "great".into(),
                task: "sentiment".into(),
                label: "positive".into(),
            },
        ];
        let skipped = check_corrections(&corrections);
        assert_eq!(skipped.len(), 2);
        assert_eq!(correction_items(Task::Sentiment, &corrections).len(), 1);
    }
}
