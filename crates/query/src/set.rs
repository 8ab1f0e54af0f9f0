//! Many named queries run together over each post, behind a prefilter on the post's tokens.
//!
//! For every query the set works out a list of *required literals*: whole words (or word
//! prefixes) at least one of which must be in a post for the query to possibly match
//! (`delta (late OR delayed)` needs `delta`; `late OR united` needs `late` or `united`). Each of
//! the post's folded tokens is looked up once in a [`LiteralIndex`] of all those literals (a hash
//! map of whole words, and one of prefixes by length), and only the queries whose literals were
//! seen, plus the queries that have no required literal (`NOT spam`, `sentiment:negative`), are
//! evaluated in full.
//!
//! The index holds every word of every query, not only the required ones, and the lookup records
//! which it saw; evaluation then answers most word conditions from that bitset instead of looking
//! through the tokens again (a hashtag or mention condition whose word is present still checks the
//! token's kind).
//!
//! The lookups replaced an Aho-Corasick automaton over the space-separated token buffer
//! (`" late "`, `" deliver"`), which gave the same answers for every pattern without a space and
//! took ≈ 4 % of an enrichment run with 1,000 queries in its search alone (docs/performance.md).

use crate::ast::Query;
use crate::matcher::{Matcher, Node, PostView, PreparedPost};
use crate::tokenize::TokenizedText;
use rustc_hash::FxHashMap;
use std::collections::HashMap;

/// A word or word prefix the prefilter looks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Literal {
    text: String,
    prefix: bool,
}

/// A set of literals at least one of which a post must contain for the node to match, or `None`
/// when the node can match without any particular word (negations, field filters).
fn required_literals(node: &Node) -> Option<Vec<Literal>> {
    match node {
        Node::Word(pattern) if pattern.text.is_empty() => None,
        Node::Word(pattern) => Some(vec![Literal {
            text: pattern.text.clone(),
            prefix: pattern.prefix,
        }]),
        Node::Phrase(words) => words
            .iter()
            .filter(|word| !word.text.is_empty())
            .max_by_key(|word| word.text.len())
            .map(|word| {
                vec![Literal {
                    text: word.text.clone(),
                    prefix: false,
                }]
            }),
        Node::Near { left, right, .. } => {
            let candidates = [required_literals(left), required_literals(right)];
            candidates
                .into_iter()
                .flatten()
                .min_by_key(|l| selectivity(l))
        }
        Node::And(children) => children
            .iter()
            .filter_map(required_literals)
            .min_by_key(|l| selectivity(l)),
        Node::Or(children) => {
            let mut all = Vec::new();
            for child in children {
                all.extend(required_literals(child)?);
            }
            all.sort_by(|a, b| (&a.text, a.prefix).cmp(&(&b.text, b.prefix)));
            all.dedup();
            Some(all)
        }
        Node::Not(_) | Node::Field(_) => None,
    }
}

/// Lower is more selective: fewer alternatives, then longer words, then whole words over prefixes.
fn selectivity(literals: &[Literal]) -> (usize, usize, bool) {
    let shortest = literals.iter().map(|l| l.text.len()).min().unwrap_or(0);
    let any_prefix = literals.iter().any(|l| l.prefix);
    (literals.len(), usize::MAX - shortest, any_prefix)
}

/// Named queries compiled together; see the module documentation.
#[derive(Debug, Clone)]
pub struct QuerySet {
    names: Vec<String>,
    matchers: Vec<Matcher>,
    /// Every word of every query, each with a pattern id.
    literals: LiteralIndex,
    pattern_count: usize,
    /// For each pattern, the queries for which it is a required literal.
    pattern_queries: Vec<Vec<u32>>,
    /// Bitset of the queries that are evaluated on every post (no required literal).
    always: Vec<u64>,
}

/// Patterns by literal, each with an id.
#[derive(Default)]
struct PatternTable {
    ids: HashMap<Literal, u32>,
    patterns: Vec<Literal>,
}

impl PatternTable {
    fn id(&mut self, literal: &Literal) -> u32 {
        if let Some(&id) = self.ids.get(literal) {
            return id;
        }
        let id = self.patterns.len() as u32;
        self.ids.insert(literal.clone(), id);
        self.patterns.push(literal.clone());
        id
    }
}

/// Every literal of a set, for looking up a post's tokens: which pattern ids a token is (whole
/// word) or starts with (prefix).
#[derive(Debug, Clone, Default)]
struct LiteralIndex {
    words: FxHashMap<Box<str>, u32>,
    prefixes: FxHashMap<Box<str>, u32>,
    /// The distinct byte lengths of the prefixes, ascending.
    prefix_lengths: Vec<usize>,
    /// One bit per pair of first bytes of the prefixes of two or more bytes: most tokens start
    /// with no such pair and skip the prefix lookups.
    pair_filter: Vec<u64>,
}

impl LiteralIndex {
    fn new(patterns: &[Literal]) -> Self {
        let mut index = LiteralIndex {
            pair_filter: vec![0; (1 << 16) / 64],
            ..LiteralIndex::default()
        };
        for (id, literal) in patterns.iter().enumerate() {
            // An empty word matches no token, and an empty prefix is never required (nor
            // consulted: `WordPattern::known_presence`).
            if literal.text.is_empty() {
                continue;
            }
            let text: Box<str> = literal.text.as_str().into();
            if literal.prefix {
                let bytes = text.as_bytes();
                if bytes.len() >= 2 {
                    set_bit(&mut index.pair_filter, pair(bytes[0], bytes[1]));
                }
                index.prefix_lengths.push(bytes.len());
                index.prefixes.insert(text, id as u32);
            } else {
                index.words.insert(text, id as u32);
            }
        }
        index.prefix_lengths.sort_unstable();
        index.prefix_lengths.dedup();
        index
    }

    /// Calls `found` with the id of every pattern that one of the tokens is or starts with
    /// (once per token and pattern).
    #[inline]
    fn scan(&self, text: &TokenizedText, mut found: impl FnMut(usize)) {
        for token in text.tokens() {
            let token = text.text(token);
            if let Some(&id) = self.words.get(token) {
                found(id as usize);
            }
            if self.prefix_lengths.is_empty() {
                continue;
            }
            let bytes = token.as_bytes();
            let pair_seen =
                bytes.len() >= 2 && has_bit(&self.pair_filter, pair(bytes[0], bytes[1]));
            for &len in &self.prefix_lengths {
                if len > bytes.len() || (len >= 2 && !pair_seen) {
                    break;
                }
                if let Some(&id) = token.get(..len).and_then(|start| self.prefixes.get(start)) {
                    found(id as usize);
                }
            }
        }
    }
}

/// The filter bit of a token's first two bytes.
#[inline]
fn pair(first: u8, second: u8) -> usize {
    usize::from(first) << 8 | usize::from(second)
}

#[inline]
fn has_bit(bits: &[u64], index: usize) -> bool {
    bits[index / 64] & (1 << (index % 64)) != 0
}

fn set_bit(bits: &mut [u64], index: usize) {
    bits[index / 64] |= 1 << (index % 64);
}

impl QuerySet {
    /// Compiles the queries. Names need not be unique; results are reported in this order.
    pub fn new(queries: Vec<(String, Query)>) -> Self {
        let mut names = Vec::with_capacity(queries.len());
        let mut matchers = Vec::with_capacity(queries.len());
        let mut always = vec![0u64; queries.len().div_ceil(64)];
        let mut table = PatternTable::default();
        let mut required_by_query: Vec<Vec<u32>> = Vec::with_capacity(queries.len());
        for (index, (name, query)) in queries.into_iter().enumerate() {
            let mut matcher = query.compile();
            let required = required_literals(&matcher.node).unwrap_or_default();
            if required.is_empty() {
                set_bit(&mut always, index);
            }
            required_by_query.push(required.iter().map(|l| table.id(l)).collect());
            matcher.node.for_each_word_mut(&mut |word| {
                word.literal = Some(table.id(&Literal {
                    text: word.text.clone(),
                    prefix: word.prefix,
                }));
            });
            matcher.node.order_by_cost();
            names.push(name);
            matchers.push(matcher);
        }
        let mut pattern_queries = vec![Vec::new(); table.patterns.len()];
        for (query, ids) in required_by_query.iter().enumerate() {
            for &id in ids {
                pattern_queries[id as usize].push(query as u32);
            }
        }
        for queries in &mut pattern_queries {
            queries.dedup();
        }
        QuerySet {
            names,
            matchers,
            literals: LiteralIndex::new(&table.patterns),
            pattern_count: table.patterns.len(),
            pattern_queries,
            always,
        }
    }

    /// Number of queries.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the set holds no queries.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The query names, in the order given to [`QuerySet::new`].
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// How many queries bypass the prefilter (they have no word every match needs).
    pub fn always_evaluated(&self) -> usize {
        self.always
            .iter()
            .map(|word| word.count_ones() as usize)
            .sum()
    }

    /// Names of the queries that match the post, in the order they were given.
    pub fn matching(&self, post: &PostView<'_>) -> Vec<&str> {
        self.matching_prepared(&PreparedPost::new(*post))
    }

    /// Like [`QuerySet::matching`], for a post that is already tokenized.
    pub fn matching_prepared(&self, post: &PreparedPost<'_>) -> Vec<&str> {
        self.matching_indices(post)
            .into_iter()
            .map(|index| self.names[index].as_str())
            .collect()
    }

    /// How many queries the prefilter lets through to full evaluation for this post (a measure
    /// of how selective the set's queries are; for diagnostics and benchmarks).
    pub fn candidate_count(&self, post: &PreparedPost<'_>) -> usize {
        let mut candidates = self.always.clone();
        self.literals.scan(&post.text, |pattern| {
            for &query in &self.pattern_queries[pattern] {
                set_bit(&mut candidates, query as usize);
            }
        });
        candidates
            .iter()
            .map(|word| word.count_ones() as usize)
            .sum()
    }

    /// Indices (into the list given to [`QuerySet::new`]) of the queries that match.
    pub fn matching_indices(&self, post: &PreparedPost<'_>) -> Vec<usize> {
        let mut candidates = self.always.clone();
        let mut present = vec![0u64; self.pattern_count.div_ceil(64)];
        self.literals.scan(&post.text, |pattern| {
            set_bit(&mut present, pattern);
            for &query in &self.pattern_queries[pattern] {
                set_bit(&mut candidates, query as usize);
            }
        });
        let mut matched = Vec::new();
        for (word_index, &word) in candidates.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let query = word_index * 64 + bit;
                if self.matchers[query].node.matches(post, &present) {
                    matched.push(query);
                }
            }
        }
        matched
    }
}
