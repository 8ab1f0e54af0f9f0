//! The compiled form of a query, run against one post at a time.
//!
//! A post is tokenized once into a [`PreparedPost`]; any number of [`Matcher`]s (or a
//! [`crate::QuerySet`]) then read the same tokens. Text conditions compare whole folded tokens,
//! never substrings (`late` does not match `chocolate`). Field filters that need an analysis do not
//! match a post that has none.

use crate::ast::{Expr, FieldFilter, HasFeature, PostFlag, Query};
use crate::tokenize::{TokenKind, TokenizedText, fold};
use switchyard_domain::{Analysis, NewPost, Visibility};

/// A post and (when it has been analysed) its analysis, as queries see it.
#[derive(Debug, Clone, Copy)]
pub struct PostView<'a> {
    pub post: &'a NewPost,
    pub analysis: Option<&'a Analysis>,
}

impl<'a> PostView<'a> {
    /// A view of a post with no analysis (field filters on analysis labels will not match).
    pub fn new(post: &'a NewPost) -> Self {
        PostView {
            post,
            analysis: None,
        }
    }

    /// A view of a post and its analysis.
    pub fn with_analysis(post: &'a NewPost, analysis: &'a Analysis) -> Self {
        PostView {
            post,
            analysis: Some(analysis),
        }
    }
}

/// A post whose text has been tokenized once, ready for any number of matchers.
#[derive(Debug, Clone)]
pub struct PreparedPost<'a> {
    pub view: PostView<'a>,
    pub text: TokenizedText,
}

impl<'a> PreparedPost<'a> {
    /// Tokenizes the post's text.
    pub fn new(view: PostView<'a>) -> Self {
        PreparedPost {
            text: TokenizedText::new(&view.post.text),
            view,
        }
    }
}

/// A word a text condition looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WordPattern {
    /// Folded text without sigil.
    pub(crate) text: String,
    /// `None`: any kind of token; otherwise only hashtags or only mentions.
    pub(crate) kind: Option<TokenKind>,
    /// Whether the token only has to start with `text`.
    pub(crate) prefix: bool,
    /// Index of this word in a [`crate::QuerySet`]'s literal patterns, when the set assigned one:
    /// the set then already knows whether the post contains it.
    pub(crate) literal: Option<u32>,
}

impl WordPattern {
    fn new(word: &str, prefix: bool) -> Self {
        let (kind, text) = if let Some(rest) = word.strip_prefix('#') {
            (Some(TokenKind::Hashtag), rest)
        } else if let Some(rest) = word.strip_prefix('@') {
            (Some(TokenKind::Mention), rest)
        } else {
            (None, word)
        };
        WordPattern {
            // Parsed words are folded already; expressions built by hand or deserialized may not be.
            text: fold(text),
            kind,
            prefix,
            literal: None,
        }
    }

    /// What the prefilter's pattern scan already tells about this word: `Some(false)` when the
    /// post certainly lacks it, `Some(true)` when it certainly has it, `None` when the tokens must
    /// be checked (no scan, or a hashtag/mention whose kind the scan cannot see).
    fn known_presence(&self, present: &[u64]) -> Option<bool> {
        let id = self.literal? as usize;
        if self.text.is_empty() {
            return None;
        }
        let word = present.get(id / 64)?;
        if word & (1 << (id % 64)) == 0 {
            return Some(false);
        }
        // The set looked the word up against whole tokens (or token starts, for a prefix), so
        // without a kind restriction presence is a match.
        if self.kind.is_none() {
            return Some(true);
        }
        None
    }

    fn occurs(&self, text: &TokenizedText, present: &[u64]) -> bool {
        if let Some(known) = self.known_presence(present) {
            return known;
        }
        (0..text.len()).any(|position| self.matches_token(text, position))
    }

    fn matches_token(&self, text: &TokenizedText, position: usize) -> bool {
        let token = &text.tokens()[position];
        if self.kind.is_some_and(|kind| kind != token.kind) {
            return false;
        }
        let token_text = text.text(token);
        if self.prefix {
            token_text.starts_with(&self.text)
        } else {
            token_text == self.text
        }
    }
}

/// A compiled expression node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// One word (term or prefix).
    Word(WordPattern),
    /// Consecutive words.
    Phrase(Vec<WordPattern>),
    Near {
        left: Box<Node>,
        right: Box<Node>,
        distance: u32,
    },
    Field(FieldFilter),
}

impl Node {
    fn compile(expr: &Expr) -> Node {
        match expr {
            Expr::And(children) => Node::And(children.iter().map(Node::compile).collect()),
            Expr::Or(children) => Node::Or(children.iter().map(Node::compile).collect()),
            Expr::Not(child) => Node::Not(Box::new(Node::compile(child))),
            Expr::Term(word) => Node::Word(WordPattern::new(word, false)),
            Expr::Prefix(stem) => Node::Word(WordPattern::new(stem, true)),
            Expr::Phrase(words) => Node::Phrase(
                words
                    .iter()
                    .map(|word| WordPattern::new(word, false))
                    .collect(),
            ),
            Expr::Near {
                left,
                right,
                distance,
            } => Node::Near {
                left: Box::new(Node::compile(left)),
                right: Box::new(Node::compile(right)),
                distance: *distance,
            },
            Expr::Field(filter) => Node::Field(normalized_filter(filter)),
        }
    }

    /// Whether the node matches; `present` is a [`crate::QuerySet`]'s bitset of the patterns found
    /// in this post (empty when matching alone).
    pub(crate) fn matches(&self, post: &PreparedPost<'_>, present: &[u64]) -> bool {
        match self {
            Node::And(children) => children.iter().all(|child| child.matches(post, present)),
            Node::Or(children) => children.iter().any(|child| child.matches(post, present)),
            Node::Not(child) => !child.matches(post, present),
            Node::Word(pattern) => pattern.occurs(&post.text, present),
            Node::Phrase(words) => {
                if words
                    .iter()
                    .any(|word| word.known_presence(present) == Some(false))
                {
                    return false;
                }
                first_span(words, &post.text, 0).is_some()
            }
            Node::Near {
                left,
                right,
                distance,
            } => {
                let absent = |node: &Node| {
                    node.operand_words()
                        .iter()
                        .any(|word| word.known_presence(present) == Some(false))
                };
                if absent(left) || absent(right) {
                    return false;
                }
                near_matches(left, right, *distance, &post.text)
            }
            Node::Field(filter) => field_matches(filter, post),
        }
    }

    /// A rough cost of evaluating the node on one post: a flag or number comparison 1, a word the
    /// set already looked up 1, a string comparison 2, a scan of the text or its tokens 4,
    /// phrases and `NEAR` 8; a group costs the sum of its children.
    fn cost(&self) -> u32 {
        match self {
            Node::And(children) | Node::Or(children) => children.iter().map(Node::cost).sum(),
            Node::Not(child) => child.cost(),
            Node::Word(pattern) if pattern.literal.is_some() && pattern.kind.is_none() => 1,
            Node::Word(_) => 4,
            Node::Phrase(_) | Node::Near { .. } => 8,
            Node::Field(filter) => match filter {
                FieldFilter::Channel(_) | FieldFilter::Followers(_) | FieldFilter::Is(_) => 1,
                FieldFilter::Author(_) | FieldFilter::Language(_) | FieldFilter::Label { .. } => 2,
                FieldFilter::Has(_) => 4,
            },
        }
    }

    /// Puts the children of every `AND` and `OR` in ascending order of [`Node::cost`], so that
    /// evaluation, which stops at the first child that decides, tries the cheap ones first.
    /// Children are pure conditions, so the order never changes a result.
    pub(crate) fn order_by_cost(&mut self) {
        match self {
            Node::And(children) | Node::Or(children) => {
                for child in children.iter_mut() {
                    child.order_by_cost();
                }
                children.sort_by_key(Node::cost);
            }
            Node::Not(child) => child.order_by_cost(),
            Node::Near { left, right, .. } => {
                left.order_by_cost();
                right.order_by_cost();
            }
            Node::Word(_) | Node::Phrase(_) | Node::Field(_) => {}
        }
    }

    /// Every word pattern in this node, for a [`crate::QuerySet`] to assign pattern ids.
    pub(crate) fn for_each_word_mut(&mut self, visit: &mut impl FnMut(&mut WordPattern)) {
        match self {
            Node::And(children) | Node::Or(children) => {
                for child in children {
                    child.for_each_word_mut(visit);
                }
            }
            Node::Not(child) => child.for_each_word_mut(visit),
            Node::Word(pattern) => visit(pattern),
            Node::Phrase(words) => {
                for word in words {
                    visit(word);
                }
            }
            Node::Near { left, right, .. } => {
                left.for_each_word_mut(visit);
                right.for_each_word_mut(visit);
            }
            Node::Field(_) => {}
        }
    }

    /// The words a text operand (word or phrase) looks for, in order.
    fn operand_words(&self) -> &[WordPattern] {
        match self {
            Node::Word(pattern) => std::slice::from_ref(pattern),
            Node::Phrase(words) => words,
            _ => &[],
        }
    }
}

/// The filter with its strings in the form matching compares against (the parser already produces
/// that form; expressions built by hand or deserialized may not).
fn normalized_filter(filter: &FieldFilter) -> FieldFilter {
    match filter {
        FieldFilter::Author(handle) => {
            FieldFilter::Author(fold(handle.trim().trim_start_matches('@')))
        }
        FieldFilter::Language(code) => FieldFilter::Language(code.trim().to_ascii_lowercase()),
        FieldFilter::Label { task, label } => FieldFilter::Label {
            task: *task,
            label: fold(label.trim()),
        },
        other => other.clone(),
    }
}

/// The first position at or after `from` where `words` occur consecutively.
fn first_span(words: &[WordPattern], text: &TokenizedText, from: usize) -> Option<usize> {
    if words.is_empty() || words.len() > text.len() {
        return None;
    }
    (from..=text.len() - words.len()).find(|&start| {
        words
            .iter()
            .enumerate()
            .all(|(offset, word)| word.matches_token(text, start + offset))
    })
}

/// Every `(first, last)` token position where an operand occurs.
fn spans(words: &[WordPattern], text: &TokenizedText) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = first_span(words, text, from) {
        found.push((start, start + words.len() - 1));
        from = start + 1;
    }
    found
}

fn near_matches(left: &Node, right: &Node, distance: u32, text: &TokenizedText) -> bool {
    let left_spans = spans(left.operand_words(), text);
    if left_spans.is_empty() {
        return false;
    }
    let right_spans = spans(right.operand_words(), text);
    let distance = distance as usize;
    left_spans.iter().any(|&(left_first, left_last)| {
        right_spans.iter().any(|&(right_first, right_last)| {
            if left_last < right_first {
                right_first - left_last - 1 <= distance
            } else if right_last < left_first {
                left_first - right_last - 1 <= distance
            } else {
                false
            }
        })
    })
}

fn same_folded(actual: &str, wanted_folded: &str) -> bool {
    if actual.is_ascii() {
        return actual.eq_ignore_ascii_case(wanted_folded);
    }
    fold(actual) == wanted_folded
}

/// Labels compare folded, with ` `, `-` and `_` treated alike (`lost luggage` = `lost_luggage`).
fn same_label(actual: &str, wanted_folded: &str) -> bool {
    let normalize = |c: char| if matches!(c, ' ' | '-') { '_' } else { c };
    if actual.is_ascii() {
        return actual.len() == wanted_folded.len()
            && actual
                .bytes()
                .map(|b| normalize(b.to_ascii_lowercase() as char))
                .eq(wanted_folded.chars().map(normalize));
    }
    let actual = fold(actual);
    actual.len() == wanted_folded.len()
        && actual
            .chars()
            .map(normalize)
            .eq(wanted_folded.chars().map(normalize))
}

fn field_matches(filter: &FieldFilter, prepared: &PreparedPost<'_>) -> bool {
    let view = &prepared.view;
    let post = view.post;
    match filter {
        FieldFilter::Author(handle) => {
            same_folded(post.author.handle.trim().trim_start_matches('@'), handle)
        }
        FieldFilter::Channel(channel) => post.channel == *channel,
        FieldFilter::Language(code) => {
            let language = match view.analysis {
                Some(analysis) => Some(analysis.language.as_str()),
                None => post.language.as_deref(),
            };
            language.is_some_and(|language| {
                language.eq_ignore_ascii_case(code)
                    || (!code.contains('-')
                        && language
                            .split(['-', '_'])
                            .next()
                            .is_some_and(|base| base.eq_ignore_ascii_case(code)))
            })
        }
        FieldFilter::Label { task, label } => view
            .analysis
            .and_then(|analysis| analysis.label(task.as_str()))
            .is_some_and(|actual| same_label(actual, label)),
        FieldFilter::Followers(range) => post
            .author
            .followers
            .is_some_and(|followers| range.contains(followers)),
        FieldFilter::Has(HasFeature::Link) => post.has_link(),
        FieldFilter::Has(HasFeature::Mention) => prepared.text.has_kind(TokenKind::Mention),
        FieldFilter::Has(HasFeature::Hashtag) => prepared.text.has_kind(TokenKind::Hashtag),
        FieldFilter::Is(PostFlag::Reply) => post.is_reply(),
        FieldFilter::Is(PostFlag::Verified) => post.author.verified,
        FieldFilter::Is(PostFlag::Public) => post.visibility == Visibility::Public,
        FieldFilter::Is(PostFlag::Private) => post.visibility == Visibility::Private,
    }
}

/// A query compiled for matching posts one at a time.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub(crate) node: Node,
}

impl Matcher {
    /// Compiles an expression.
    pub fn new(expr: &Expr) -> Self {
        Matcher {
            node: Node::compile(expr),
        }
    }

    /// Whether the post matches (tokenizes it; prefer [`Matcher::matches_prepared`] when several
    /// queries look at the same post).
    pub fn matches(&self, post: &PostView<'_>) -> bool {
        self.matches_prepared(&PreparedPost::new(*post))
    }

    /// Whether an already tokenized post matches.
    pub fn matches_prepared(&self, post: &PreparedPost<'_>) -> bool {
        self.node.matches(post, &[])
    }
}

impl Query {
    /// Compiles the query into a [`Matcher`].
    pub fn compile(&self) -> Matcher {
        Matcher::new(&self.expr)
    }
}
