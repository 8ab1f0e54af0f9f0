//! Many named queries run together over each post, behind an Aho-Corasick prefilter.
//!
//! For every query the set works out a list of *required literals*: whole words (or word
//! prefixes) at least one of which must be in a post for the query to possibly match
//! (`delta (late OR delayed)` needs `delta`; `late OR united` needs `late` or `united`). One
//! automaton over all those literals scans the post's folded token buffer once
//! (`" late again delta "`), and only the queries whose literals were seen, plus the queries that
//! have no required literal (`NOT spam`, `sentiment:negative`), are evaluated in full.

use crate::ast::Query;
use crate::matcher::{Matcher, Node, PostView, PreparedPost};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use std::collections::HashMap;

/// A word or word prefix the prefilter looks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Literal {
    text: String,
    prefix: bool,
}

impl Literal {
    /// The pattern in the token buffer: `" word "` for a whole token, `" word"` for a prefix.
    fn pattern(&self) -> String {
        if self.prefix {
            format!(" {}", self.text)
        } else {
            format!(" {} ", self.text)
        }
    }
}

/// A set of literals at least one of which a post must contain for the node to match, or `None`
/// when the node can match without any particular word (negations, field filters).
fn required_literals(node: &Node) -> Option<Vec<Literal>> {
    match node {
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
    /// `None` when no query has a required literal.
    automaton: Option<AhoCorasick>,
    /// For each automaton pattern, the queries that listed it.
    pattern_queries: Vec<Vec<u32>>,
    /// Bitset of the queries that are evaluated on every post (no required literal).
    always: Vec<u64>,
}

impl QuerySet {
    /// Compiles the queries. Names need not be unique; results are reported in this order.
    pub fn new(queries: Vec<(String, Query)>) -> Self {
        let mut names = Vec::with_capacity(queries.len());
        let mut matchers = Vec::with_capacity(queries.len());
        let mut always = vec![0u64; queries.len().div_ceil(64)];
        let mut pattern_ids: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut pattern_queries: Vec<Vec<u32>> = Vec::new();
        for (index, (name, query)) in queries.into_iter().enumerate() {
            let matcher = query.compile();
            match required_literals(&matcher.node) {
                Some(literals) if !literals.is_empty() => {
                    for literal in literals {
                        let pattern = literal.pattern();
                        let id = *pattern_ids.entry(pattern.clone()).or_insert_with(|| {
                            patterns.push(pattern);
                            pattern_queries.push(Vec::new());
                            patterns.len() - 1
                        });
                        pattern_queries[id].push(index as u32);
                    }
                }
                _ => always[index / 64] |= 1 << (index % 64),
            }
            names.push(name);
            matchers.push(matcher);
        }
        for queries in &mut pattern_queries {
            queries.dedup();
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            let kind = if patterns.len() <= 5_000 {
                AhoCorasickKind::DFA
            } else {
                AhoCorasickKind::ContiguousNFA
            };
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(kind))
                .build(&patterns)
                .or_else(|_| {
                    AhoCorasick::builder()
                        .match_kind(MatchKind::Standard)
                        .build(&patterns)
                })
                .ok()
        };
        // Should the automaton ever fail to build (it only does past internal size limits), every
        // query is evaluated in full: slower, never wrong.
        if automaton.is_none() {
            for (index, _) in names.iter().enumerate() {
                always[index / 64] |= 1 << (index % 64);
            }
        }
        QuerySet {
            names,
            matchers,
            automaton,
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

    /// Indices (into the list given to [`QuerySet::new`]) of the queries that match.
    pub fn matching_indices(&self, post: &PreparedPost<'_>) -> Vec<usize> {
        let mut candidates = self.always.clone();
        if let Some(automaton) = &self.automaton {
            for found in automaton.find_overlapping_iter(post.text.folded()) {
                for &query in &self.pattern_queries[found.pattern().as_usize()] {
                    let query = query as usize;
                    candidates[query / 64] |= 1 << (query % 64);
                }
            }
        }
        let mut matched = Vec::new();
        for (word_index, &word) in candidates.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let query = word_index * 64 + bit;
                if self.matchers[query].matches_prepared(post) {
                    matched.push(query);
                }
            }
        }
        matched
    }
}
