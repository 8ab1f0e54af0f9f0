//! The full-text search index beside the database (tantivy): what is indexed, how listening
//! queries become tantivy queries, and how the index stays derivable from the database.
//!
//! - Text is cut by the query crate's own tokenizer (folded words, `#hashtags`, `@mentions`), so
//!   a term means exactly what it means to the per-post matcher: no stemming, whole tokens only.
//!   Each token is indexed by its folded text; hashtags and mentions additionally as `#text` /
//!   `@text` at the same position, so `delta` finds `#delta` while `#delta` finds only hashtags.
//! - Terms, phrases, prefixes (`deliver*` → a term-dictionary regex), Boolean operators and every
//!   field filter translate exactly. `NEAR/n` becomes a sloppy phrase (or an AND) that finds a
//!   superset; such queries are post-filtered with the query crate's exact [`Matcher`] over the
//!   posts read back from the database, so results are always exact.
//! - The commit payload records the highest post id indexed. On open the store indexes every
//!   post above it, so a crash between the database commit and the index commit loses nothing.

use crate::error::{Result, StoreError};
use crate::model::StoredPost;
use crate::sql::to_micros;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::ops::Bound;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use switchyard_domain::{Analysis, NewPost, PostId, Visibility};
use switchyard_query::matcher::PostView;
use switchyard_query::tokenize::{TagKinds, TokenKind, TokenizedText, fold};
use switchyard_query::{Expr, FieldFilter, HasFeature, Matcher, PostFlag};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery, RegexQuery,
    TermQuery,
};
use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};

/// Where the search index lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexLocation {
    /// `<data dir>/index` for SQLite in a directory, RAM otherwise.
    Default,
    /// In memory, rebuilt from the database on every open (tests, PostgreSQL).
    Ram,
    /// In this directory (created if missing).
    Dir(PathBuf),
}

/// The name the text tokenizer is registered under.
const TOKENIZER_NAME: &str = "switchyard";
/// Tokens longer than this (bytes) are not indexed; query words this long are post-filtered.
const MAX_TOKEN_BYTES: usize = 255;
/// Commit the index once this many documents wait, even if searches do not ask for it.
const COMMIT_EVERY_DOCS: usize = 50_000;
/// … or once this much time passed since the last commit.
const COMMIT_EVERY: Duration = Duration::from_secs(2);
/// The largest page [`Store::search`] returns.
pub const MAX_SEARCH_LIMIT: usize = 10_000;
/// The deepest offset [`Store::search`] pages to.
pub const MAX_SEARCH_OFFSET: usize = 10_000_000;
/// Posts read per database round trip when catching the index up.
const CATCH_UP_BATCH: usize = 2_000;

/// Tantivy tokenizer that produces exactly the query crate's tokens. Its token buffers (and
/// their strings) are reused from one document to the next: indexing allocates nothing per token.
#[derive(Clone, Default)]
struct SwitchyardTokenizer {
    tokens: Vec<Token>,
    /// How many of `tokens` belong to the current text.
    len: usize,
}

impl SwitchyardTokenizer {
    /// Appends a token whose text is `sigil` followed by `folded`, reusing a buffer when it can.
    fn push(&mut self, position: usize, sigil: &str, folded: &str) {
        if self.len == self.tokens.len() {
            self.tokens.push(Token::default());
        }
        let token = &mut self.tokens[self.len];
        token.offset_from = 0;
        token.offset_to = 0;
        token.position = position;
        token.position_length = 1;
        token.text.clear();
        token.text.push_str(sigil);
        token.text.push_str(folded);
        self.len += 1;
    }
}

struct VecTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl TokenStream for VecTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for SwitchyardTokenizer {
    type TokenStream<'a> = VecTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream<'a> {
        self.len = 0;
        let tokenized = TokenizedText::new(text);
        for (position, token) in tokenized.tokens().iter().enumerate() {
            let folded = tokenized.text(token);
            if folded.is_empty() || folded.len() > MAX_TOKEN_BYTES {
                continue;
            }
            self.push(position, "", folded);
            if token.kind != TokenKind::Word {
                self.push(position, token.kind.sigil(), folded);
            }
        }
        VecTokenStream {
            tokens: &mut self.tokens[..self.len],
            next: 0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    text: Field,
    author: Field,
    channel: Field,
    lang: Field,
    sentiment: Field,
    complaint: Field,
    intent: Field,
    reason: Field,
    urgency: Field,
    toxicity: Field,
    flags: Field,
    followers: Field,
    created_at: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    // No field norms anywhere: they only feed BM25 scores, and searches order by post id
    // (scoring off), so each document's norms were written and never read.
    let text_options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER_NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions)
            .set_fieldnorms(false),
    );
    // Labels, flags, handles: each value one untokenised term, as tantivy's `STRING` but
    // without norms.
    let keyword_options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    );
    let keyword = || keyword_options.clone();
    let fields = Fields {
        // Fast only: result ids and their order come from the fast field, and replacing a
        // post deletes by a range over it. Indexed, it made one term per post, which each
        // segment had to hash, sort and write into its term dictionary; stored, a compressed
        // copy of the id per post.
        id: builder.add_i64_field("id", FAST),
        text: builder.add_text_field("text", text_options),
        author: builder.add_text_field("author", keyword()),
        channel: builder.add_text_field("channel", keyword()),
        lang: builder.add_text_field("lang", keyword()),
        sentiment: builder.add_text_field("sentiment", keyword()),
        complaint: builder.add_text_field("complaint", keyword()),
        intent: builder.add_text_field("intent", keyword()),
        reason: builder.add_text_field("reason", keyword()),
        urgency: builder.add_text_field("urgency", keyword()),
        toxicity: builder.add_text_field("toxicity", keyword()),
        flags: builder.add_text_field("flags", keyword()),
        // Fast fields only: `followers:` ranges run on the fast field (tantivy's RangeQuery
        // picks it for a FAST field), and nothing queries `created_at` through the index.
        // Indexing them made a term per distinct value (one per post for `created_at`), a
        // large share of each segment's term sorting and dictionary.
        followers: builder.add_u64_field("followers", FAST),
        created_at: builder.add_i64_field("created_at", FAST),
    };
    (builder.build(), fields)
}

/// A label as the index keeps it: folded, with ` ` and `-` written as `_` (the matcher treats
/// the three alike).
fn label_key(label: &str) -> Cow<'_, str> {
    // Shipped labels (`not_complaint`, `billing_refund`) already are keys.
    if label
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Cow::Borrowed(label);
    }
    Cow::Owned(
        fold(label)
            .chars()
            .map(|c| if matches!(c, ' ' | '-') { '_' } else { c })
            .collect(),
    )
}

/// The index document of a stored post, written straight into tantivy's document (each value
/// is copied once, into the document; labels, language and handle that already are in their
/// indexed form are not copied before that).
fn document(fields: &Fields, id: PostId, post: &NewPost, analysis: &Analysis) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_i64(fields.id, id);
    doc.add_text(fields.text, &post.text);
    let handle = post.author.handle.trim().trim_start_matches('@');
    if handle
        .bytes()
        .all(|b| !b.is_ascii_uppercase() && b.is_ascii())
    {
        doc.add_text(fields.author, handle);
    } else {
        doc.add_text(fields.author, fold(handle));
    }
    doc.add_text(fields.channel, post.channel.as_str());
    let language = analysis.language.trim();
    let language: Cow<'_, str> = if language.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(language.to_ascii_lowercase())
    } else {
        Cow::Borrowed(language)
    };
    doc.add_text(fields.lang, &language);
    if let Some(base) = language.split(['-', '_']).next()
        && base != language
    {
        doc.add_text(fields.lang, base);
    }
    for (field, task) in [
        (fields.sentiment, "sentiment"),
        (fields.complaint, "complaint"),
        (fields.intent, "intent"),
        (fields.reason, "reason"),
        (fields.urgency, "urgency"),
        (fields.toxicity, "toxicity"),
    ] {
        if let Some(label) = analysis.label(task) {
            doc.add_text(field, label_key(label));
        }
    }
    let tags = TagKinds::of(&post.text);
    let visibility = match post.visibility {
        Visibility::Public => "is:public",
        Visibility::Private => "is:private",
    };
    let flags = [
        (post.has_link(), "has:link"),
        (tags.mention, "has:mention"),
        (tags.hashtag, "has:hashtag"),
        (post.is_reply(), "is:reply"),
        (post.author.verified, "is:verified"),
        (true, visibility),
    ];
    for (set, flag) in flags {
        if set {
            doc.add_text(fields.flags, flag);
        }
    }
    if let Some(followers) = post.author.followers {
        doc.add_u64(fields.followers, followers);
    }
    doc.add_i64(fields.created_at, to_micros(post.created_at));
    doc
}

/// The runs of consecutive ids in sorted, distinct `ids`, as `(first, last)` pairs: a batch of
/// posts that replaces its older copies deletes each run with one range.
fn consecutive_runs(ids: &[PostId]) -> Vec<(PostId, PostId)> {
    let mut runs: Vec<(PostId, PostId)> = Vec::new();
    for &id in ids {
        match runs.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(id) => *last = id,
            _ => runs.push((id, id)),
        }
    }
    runs
}

/// What the index's last commit covers.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct CommitPayload {
    /// Every post with an id up to this one was indexed.
    last_indexed_id: PostId,
}

struct WriterState {
    writer: IndexWriter<TantivyDocument>,
    last_commit: Instant,
}

/// The tantivy index of stored posts. Owned by a [`Store`]; reach it with
/// [`Store::search_index`].
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// `None` when another process holds the index lock (then this process only reads).
    writer: Option<Mutex<WriterState>>,
    pending: AtomicUsize,
    /// Highest id added to the writer (committed or not).
    highest_added: AtomicI64,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("writable", &self.writer.is_some())
            .field("pending", &self.pending.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn open_index(location: &IndexLocation, schema: &Schema) -> Result<Index> {
    match location {
        IndexLocation::Ram | IndexLocation::Default => Ok(Index::create_in_ram(schema.clone())),
        IndexLocation::Dir(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                path: dir.clone(),
                source,
            })?;
            let open = |dir: &PathBuf| -> tantivy::Result<Index> {
                let directory = MmapDirectory::open(dir)?;
                Index::open_or_create(directory, schema.clone())
            };
            match open(dir) {
                Ok(index) => Ok(index),
                Err(error) => {
                    // The index is derived data: an unreadable or outdated one is rebuilt.
                    tracing::warn!(%error, dir = %dir.display(), "search index unusable; rebuilding it from the database");
                    std::fs::remove_dir_all(dir).map_err(|source| StoreError::DataDir {
                        path: dir.clone(),
                        source,
                    })?;
                    std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                        path: dir.clone(),
                        source,
                    })?;
                    open(dir).map_err(|error| StoreError::index("creating the index", error))
                }
            }
        }
    }
}

impl SearchIndex {
    /// Opens or creates the index at `location`.
    pub fn open(location: &IndexLocation) -> Result<SearchIndex> {
        let (schema, fields) = schema();
        let index = open_index(location, &schema)?;
        index.tokenizers().register(
            TOKENIZER_NAME,
            TextAnalyzer::from(SwitchyardTokenizer::default()),
        );
        let in_ram = !matches!(location, IndexLocation::Dir(_));
        // One indexing thread with a large arena: indexing costs a fraction of analysing and
        // storing a post, and a bigger arena means fewer, larger segments to write and merge
        // (the arena grows as documents arrive; the budget is a cap).
        let threads = 1;
        let budget_per_thread = if in_ram { 20_000_000 } else { 200_000_000 };
        let writer = match index.writer_with_num_threads(threads, threads * budget_per_thread) {
            Ok(writer) => Some(Mutex::new(WriterState {
                writer,
                last_commit: Instant::now(),
            })),
            Err(tantivy::TantivyError::LockFailure(..)) => {
                tracing::warn!(
                    "another process writes the search index; this one will only read it"
                );
                None
            }
            Err(error) => return Err(StoreError::index("opening the index writer", error)),
        };
        let reader = index
            .reader_builder()
            .reload_policy(if in_ram {
                ReloadPolicy::Manual
            } else {
                ReloadPolicy::OnCommitWithDelay
            })
            .try_into()
            .map_err(|error| StoreError::index("opening the index reader", error))?;
        let search = SearchIndex {
            index,
            reader,
            fields,
            writer,
            pending: AtomicUsize::new(0),
            highest_added: AtomicI64::new(0),
        };
        let committed = search.committed_payload()?.last_indexed_id;
        search.highest_added.store(committed, Ordering::SeqCst);
        Ok(search)
    }

    fn committed_payload(&self) -> Result<CommitPayload> {
        let metas = self
            .index
            .load_metas()
            .map_err(|error| StoreError::index("reading the index metadata", error))?;
        Ok(metas
            .payload
            .as_deref()
            .and_then(|payload| serde_json::from_str(payload).ok())
            .unwrap_or_default())
    }

    /// The highest post id the last commit covers (0 for a new index).
    pub fn last_indexed_id(&self) -> Result<PostId> {
        Ok(self.committed_payload()?.last_indexed_id)
    }

    /// The highest post id added to the index (committed or pending).
    pub fn highest_added(&self) -> PostId {
        self.highest_added.load(Ordering::SeqCst)
    }

    /// Whether this process may write the index.
    pub fn is_writable(&self) -> bool {
        self.writer.is_some()
    }

    /// Documents added but not yet committed.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// Documents searchable now.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn with_writer<T>(
        &self,
        action: &'static str,
        work: impl FnOnce(&mut WriterState) -> tantivy::Result<T>,
    ) -> Result<Option<T>> {
        let Some(writer) = &self.writer else {
            return Ok(None);
        };
        let mut state = writer
            .lock()
            .map_err(|_| StoreError::index(action, "a previous indexing call panicked"))?;
        work(&mut state)
            .map(Some)
            .map_err(|error| StoreError::index(action, error))
    }

    /// Adds posts that were just stored for the first time (no older copy to replace).
    pub(crate) fn add_new<'a>(
        &self,
        posts: impl ExactSizeIterator<Item = (PostId, &'a NewPost, &'a Analysis)>,
    ) -> Result<()> {
        let fields = self.fields;
        let count = posts.len();
        let mut highest = 0;
        self.with_writer("adding posts", |state| {
            for (id, post, analysis) in posts {
                highest = highest.max(id);
                state
                    .writer
                    .add_document(document(&fields, id, post, analysis))?;
            }
            Ok(())
        })?;
        self.pending.fetch_add(count, Ordering::SeqCst);
        self.highest_added.fetch_max(highest, Ordering::SeqCst);
        Ok(())
    }

    /// Adds or replaces posts in the index (idempotent: a post indexed twice is found once).
    /// Call [`SearchIndex::commit`] (or search through the store) to make them searchable.
    pub fn index_posts(&self, posts: &[StoredPost]) -> Result<()> {
        let fields = self.fields;
        // Each id once, with the position of its last copy in `posts`: the older entries are
        // deleted before anything is added, so a post given twice is still indexed once.
        let mut latest: Vec<(PostId, usize)> = posts
            .iter()
            .enumerate()
            .map(|(index, stored)| (stored.post.id, index))
            .collect();
        latest.sort_unstable();
        latest.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                *kept = *later;
            }
            same
        });
        let ids: Vec<PostId> = latest.iter().map(|&(id, _)| id).collect();
        let highest = ids.last().copied().unwrap_or(0);
        self.with_writer("indexing posts", |state| {
            for (first, last) in consecutive_runs(&ids) {
                state.writer.delete_query(Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_i64(fields.id, first)),
                    Bound::Included(Term::from_field_i64(fields.id, last)),
                )))?;
            }
            for &(id, index) in &latest {
                let stored = &posts[index];
                let doc = document(&fields, id, &stored.post.post, &stored.analysis);
                state.writer.add_document(doc)?;
            }
            Ok(())
        })?;
        self.pending.fetch_add(latest.len(), Ordering::SeqCst);
        self.highest_added.fetch_max(highest, Ordering::SeqCst);
        Ok(())
    }

    /// Commits what was added (recording the highest post id covered) and makes it searchable.
    /// Blocking: call from `spawn_blocking` in async code, or use [`Store::commit_index`].
    pub fn commit(&self) -> Result<()> {
        let highest = self.highest_added.load(Ordering::SeqCst);
        let pending_before = self.pending.load(Ordering::SeqCst);
        let payload = serde_json::to_string(&CommitPayload {
            last_indexed_id: highest,
        })
        .map_err(|error| StoreError::index("writing the commit payload", error))?;
        let committed = self.with_writer("committing", |state| {
            let mut prepared = state.writer.prepare_commit()?;
            prepared.set_payload(&payload);
            prepared.commit()?;
            state.last_commit = Instant::now();
            Ok(())
        })?;
        if committed.is_some() {
            self.pending.fetch_sub(pending_before, Ordering::SeqCst);
        }
        self.reader
            .reload()
            .map_err(|error| StoreError::index("reloading the reader", error))
    }

    fn commit_due(&self) -> bool {
        let pending = self.pending();
        if pending == 0 {
            return false;
        }
        if pending >= COMMIT_EVERY_DOCS {
            return true;
        }
        let Some(writer) = &self.writer else {
            return false;
        };
        writer
            .lock()
            .map(|state| state.last_commit.elapsed() >= COMMIT_EVERY)
            .unwrap_or(false)
    }

    fn term_query(&self, field: Field, text: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::Basic,
        ))
    }

    fn text_term(&self, word: &str) -> Term {
        Term::from_field_text(self.fields.text, word)
    }

    /// Translates a listening query. Returns the tantivy query and whether it is exact (`false`:
    /// it finds a superset that must be post-filtered with the matcher).
    pub(crate) fn translate(&self, expr: &Expr) -> Result<(Box<dyn Query>, bool)> {
        Ok(match expr {
            Expr::And(children) => {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                let mut exact = true;
                let mut has_positive = false;
                for child in children {
                    if let Expr::Not(inner) = child {
                        let (query, inner_exact) = self.translate(inner)?;
                        if inner_exact {
                            clauses.push((Occur::MustNot, exclusion(inner, query)));
                        } else {
                            // NOT of a superset would drop true matches: leave it to the matcher.
                            exact = false;
                        }
                        continue;
                    }
                    let (query, child_exact) = self.translate(child)?;
                    exact &= child_exact;
                    has_positive = true;
                    clauses.push((Occur::Must, query));
                }
                if !has_positive {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                (Box::new(BooleanQuery::new(clauses)), exact)
            }
            Expr::Or(children) => {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                let mut exact = true;
                for child in children {
                    let (query, child_exact) = self.translate(child)?;
                    exact &= child_exact;
                    clauses.push((Occur::Should, query));
                }
                (Box::new(BooleanQuery::new(clauses)), exact)
            }
            Expr::Not(child) => {
                let (query, child_exact) = self.translate(child)?;
                if child_exact {
                    (
                        Box::new(BooleanQuery::new(vec![
                            (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                            (Occur::MustNot, exclusion(child, query)),
                        ])),
                        true,
                    )
                } else {
                    (Box::new(AllQuery), false)
                }
            }
            Expr::Term(word) => {
                if word.len() > MAX_TOKEN_BYTES {
                    (Box::new(AllQuery), false)
                } else {
                    (
                        Box::new(TermQuery::new(
                            self.text_term(word),
                            IndexRecordOption::Basic,
                        )),
                        true,
                    )
                }
            }
            Expr::Phrase(words) => {
                if words.iter().any(|word| word.len() > MAX_TOKEN_BYTES) {
                    (Box::new(AllQuery), false)
                } else if words.len() == 1 {
                    self.translate(&Expr::Term(words[0].clone()))?
                } else if words.is_empty() {
                    (Box::new(EmptyQuery), true)
                } else {
                    let terms = words.iter().map(|word| self.text_term(word)).collect();
                    (Box::new(PhraseQuery::new(terms)), true)
                }
            }
            Expr::Prefix(stem) => {
                if stem.is_empty() || stem == "#" || stem == "@" {
                    (Box::new(AllQuery), false)
                } else {
                    let pattern = format!("{}.*", regex_escape(stem));
                    let query = RegexQuery::from_pattern(&pattern, self.fields.text)
                        .map_err(|error| StoreError::index("building a prefix query", error))?;
                    (Box::new(query), true)
                }
            }
            Expr::Near {
                left,
                right,
                distance,
            } => {
                let query: Box<dyn Query> = match (left.as_ref(), right.as_ref()) {
                    (Expr::Term(a), Expr::Term(b))
                        if a != b && a.len() <= MAX_TOKEN_BYTES && b.len() <= MAX_TOKEN_BYTES =>
                    {
                        // In order with up to n+2 between, or reversed with up to n between:
                        // a superset of NEAR/n.
                        let mut phrase =
                            PhraseQuery::new(vec![self.text_term(a), self.text_term(b)]);
                        phrase.set_slop(distance.saturating_add(2));
                        Box::new(phrase)
                    }
                    _ => {
                        let (left_query, _) = self.translate(left)?;
                        let (right_query, _) = self.translate(right)?;
                        Box::new(BooleanQuery::new(vec![
                            (Occur::Must, left_query),
                            (Occur::Must, right_query),
                        ]))
                    }
                };
                (query, false)
            }
            Expr::Field(filter) => self.translate_field(filter),
        })
    }

    fn translate_field(&self, filter: &FieldFilter) -> (Box<dyn Query>, bool) {
        let fields = &self.fields;
        match filter {
            FieldFilter::Author(handle) => (
                self.term_query(fields.author, &fold(handle.trim_start_matches('@'))),
                true,
            ),
            FieldFilter::Channel(channel) => {
                (self.term_query(fields.channel, channel.as_str()), true)
            }
            FieldFilter::Language(code) => (
                self.term_query(fields.lang, &code.trim().to_ascii_lowercase()),
                true,
            ),
            FieldFilter::Label { task, label } => {
                let field = match task {
                    switchyard_query::LabelTask::Sentiment => fields.sentiment,
                    switchyard_query::LabelTask::Complaint => fields.complaint,
                    switchyard_query::LabelTask::Intent => fields.intent,
                    switchyard_query::LabelTask::Reason => fields.reason,
                    switchyard_query::LabelTask::Urgency => fields.urgency,
                    switchyard_query::LabelTask::Toxicity => fields.toxicity,
                };
                (self.term_query(field, &label_key(label)), true)
            }
            FieldFilter::Followers(range) => {
                let lower = match range.min {
                    Some(min) => Bound::Included(Term::from_field_u64(fields.followers, min)),
                    None => Bound::Unbounded,
                };
                let upper = match range.max {
                    Some(max) => Bound::Included(Term::from_field_u64(fields.followers, max)),
                    None => Bound::Unbounded,
                };
                if matches!((&lower, &upper), (Bound::Unbounded, Bound::Unbounded)) {
                    // Any known follower count: every value from 0 up.
                    let lower = Bound::Included(Term::from_field_u64(fields.followers, 0));
                    return (Box::new(RangeQuery::new(lower, Bound::Unbounded)), true);
                }
                (Box::new(RangeQuery::new(lower, upper)), true)
            }
            FieldFilter::Has(feature) => {
                let flag = match feature {
                    HasFeature::Link => "has:link",
                    HasFeature::Mention => "has:mention",
                    HasFeature::Hashtag => "has:hashtag",
                };
                (self.term_query(fields.flags, flag), true)
            }
            FieldFilter::Is(flag) => {
                let flag = match flag {
                    PostFlag::Reply => "is:reply",
                    PostFlag::Verified => "is:verified",
                    PostFlag::Public => "is:public",
                    PostFlag::Private => "is:private",
                };
                (self.term_query(fields.flags, flag), true)
            }
        }
    }

    /// Runs a tantivy query: (total hits, the ids of one page, newest id first).
    fn run_page(
        &self,
        query: &dyn Query,
        limit: usize,
        offset: usize,
    ) -> Result<(u64, Vec<PostId>)> {
        let searcher = self.reader.searcher();
        let total = searcher
            .search(query, &Count)
            .map_err(|error| StoreError::index("counting", error))?;
        // The collector allocates for offset + limit hits: bound both by what exists.
        if limit == 0 || offset >= total {
            return Ok((total as u64, Vec::new()));
        }
        let top = TopDocs::with_limit(limit.min(total - offset))
            .and_offset(offset)
            .order_by_fast_field::<i64>("id", Order::Desc);
        let hits = searcher
            .search(query, &top)
            .map_err(|error| StoreError::index("searching", error))?;
        let ids = hits.into_iter().filter_map(|(id, _)| id).collect();
        Ok((total as u64, ids))
    }

    /// Every id matching a tantivy query, newest first.
    fn run_all(&self, query: &dyn Query) -> Result<Vec<PostId>> {
        let searcher = self.reader.searcher();
        let total = searcher
            .search(query, &Count)
            .map_err(|error| StoreError::index("counting", error))?;
        if total == 0 {
            return Ok(Vec::new());
        }
        let (_, ids) = self.run_page(query, total, 0)?;
        Ok(ids)
    }
}

/// A query fit to be a `MustNot` clause. Tantivy 0.27's exclusion calls `seek_danger` on the
/// excluded scorer, which trips a debug assertion (and is unsafe) on phrase scorers
/// (quickwit-oss/tantivy#2811). A union of two copies is excluded instead: unions seek their
/// children only forward, through the safe default path. Single terms and field filters are
/// excluded directly.
fn exclusion(expr: &Expr, query: Box<dyn Query>) -> Box<dyn Query> {
    if matches!(expr, Expr::Term(_) | Expr::Field(_)) {
        return query;
    }
    let copy = query.box_clone();
    Box::new(BooleanQuery::new(vec![
        (Occur::Should, query),
        (Occur::Should, copy),
    ]))
}

/// Escapes a literal for tantivy's term-dictionary regex.
fn regex_escape(literal: &str) -> String {
    let mut escaped = String::with_capacity(literal.len() + 4);
    for c in literal.chars() {
        if "\\.+*?()|[]{}^$#&-~\"<>@".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Search results: how many posts match in all, and the ids of the page asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHits {
    pub total: u64,
    /// Newest (highest id) first.
    pub ids: Vec<PostId>,
}

impl Store {
    /// Full-text search with a listening query: `(total, ids of the page)`, newest first.
    /// Results are exact: what tantivy cannot express exactly (`NEAR`) is post-filtered with the
    /// query crate's matcher. Posts ingested so far are always included (pending index work is
    /// committed first).
    pub async fn search(
        &self,
        expr: &Expr,
        limit: usize,
        offset: usize,
    ) -> Result<(u64, Vec<PostId>)> {
        // Absurd paging values are clamped, never allowed to overflow inside tantivy.
        let limit = limit.min(MAX_SEARCH_LIMIT);
        let offset = offset.min(MAX_SEARCH_OFFSET);
        self.catch_up_if_behind().await?;
        self.commit_index_if_pending().await?;
        let search = &self.inner.search;
        let (query, exact) = search.translate(expr)?;
        if exact {
            return search.run_page(query.as_ref(), limit, offset);
        }
        let candidates = search.run_all(query.as_ref())?;
        let matcher = Matcher::new(expr);
        let mut matching = Vec::new();
        for chunk in candidates.chunks(1_000) {
            for stored in self.get_posts(chunk).await? {
                let view = PostView::with_analysis(&stored.post.post, &stored.analysis);
                if matcher.matches(&view) {
                    matching.push(stored.post.id);
                }
            }
        }
        let total = matching.len() as u64;
        let page = matching.into_iter().skip(offset).take(limit).collect();
        Ok((total, page))
    }

    /// Like [`Store::search`], returning [`SearchHits`].
    pub async fn search_hits(
        &self,
        expr: &Expr,
        limit: usize,
        offset: usize,
    ) -> Result<SearchHits> {
        let (total, ids) = self.search(expr, limit, offset).await?;
        Ok(SearchHits { total, ids })
    }

    /// Commits the search index now (makes everything ingested searchable and durable).
    pub async fn commit_index(&self) -> Result<()> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.inner.search.commit())
            .await
            .map_err(|error| StoreError::index("committing", error))?
    }

    async fn commit_index_if_pending(&self) -> Result<()> {
        if self.inner.search.pending() > 0 {
            self.commit_index().await?;
        }
        Ok(())
    }

    /// Commits the index when enough work or time has piled up (called after each ingest).
    pub(crate) async fn maybe_commit_index(&self) {
        if self.inner.search.commit_due()
            && let Err(error) = self.commit_index().await
        {
            tracing::error!(%error, "committing the search index failed; it will catch up on the next start");
        }
    }

    /// Re-reads posts from the database and replaces their index documents (after a correction).
    pub(crate) async fn reindex_posts(&self, ids: &[PostId]) -> Result<()> {
        let posts = self.get_posts(ids).await?;
        self.inner.search.index_posts(&posts)
    }

    /// Indexes posts another process stored since (only in the process that writes the index;
    /// one cheap `MAX(id)` query when nothing is new).
    async fn catch_up_if_behind(&self) -> Result<()> {
        if !self.inner.search.is_writable() {
            return Ok(());
        }
        let newest: Option<i64> = crate::sql::with_pool!(&self.inner.db, |pool| {
            crate::error::DbContext::during(
                sqlx::query_scalar("SELECT MAX(id) FROM posts")
                    .fetch_one(pool)
                    .await,
                "reading the newest post id",
            )
        })?;
        if newest.unwrap_or(0) > self.inner.search.highest_added() {
            self.catch_up_index().await?;
        }
        Ok(())
    }

    /// Indexes every stored post above the index's watermark (run on open). The database is the
    /// source of truth, so the index never misses a post that was committed there.
    pub async fn catch_up_index(&self) -> Result<u64> {
        let search = &self.inner.search;
        if !search.is_writable() {
            return Ok(0);
        }
        let _order = self.inner.index_order.lock().await;
        let mut after = search.highest_added();
        let mut indexed = 0u64;
        loop {
            let batch = self.posts_after(after, None, CATCH_UP_BATCH).await?;
            let Some(last) = batch.last() else {
                break;
            };
            after = last.post.id;
            search.index_posts(&batch)?;
            indexed += batch.len() as u64;
            if batch.len() < CATCH_UP_BATCH {
                break;
            }
        }
        if indexed > 0 {
            tracing::info!(indexed, "search index caught up with the database");
            self.commit_index().await?;
        }
        Ok(indexed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_ids_make_one_run_each() {
        assert_eq!(consecutive_runs(&[]), Vec::<(PostId, PostId)>::new());
        assert_eq!(consecutive_runs(&[7]), vec![(7, 7)]);
        assert_eq!(
            consecutive_runs(&[1, 2, 3, 5, 8, 9, i64::MAX - 1, i64::MAX]),
            vec![(1, 3), (5, 5), (8, 9), (i64::MAX - 1, i64::MAX)]
        );
    }

    #[test]
    fn tokenizer_indexes_hashtags_both_ways_at_one_position() {
        let mut tokenizer = SwitchyardTokenizer::default();
        let mut stream = tokenizer.token_stream("Late again #Delta @amy");
        let mut seen = Vec::new();
        while stream.advance() {
            let token = stream.token();
            seen.push((token.position, token.text.clone()));
        }
        assert_eq!(
            seen,
            vec![
                (0, "late".to_string()),
                (1, "again".to_string()),
                (2, "delta".to_string()),
                (2, "#delta".to_string()),
                (3, "amy".to_string()),
                (3, "@amy".to_string()),
            ]
        );
    }

    #[test]
    fn an_index_with_an_older_schema_is_rebuilt_empty() {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path().join("index");
        std::fs::create_dir_all(&dir).expect("index dir");
        // The schema before field norms were dropped: the id stored, norms on every field.
        let mut builder = Schema::builder();
        let id = builder.add_i64_field(
            "id",
            tantivy::schema::INDEXED | FAST | tantivy::schema::STORED,
        );
        let text = builder.add_text_field("text", tantivy::schema::STRING);
        let old = Index::create_in_dir(&dir, builder.build()).expect("old index");
        let mut writer: IndexWriter = old.writer(15_000_000).expect("old writer");
        let mut doc = TantivyDocument::new();
        doc.add_i64(id, 7);
        doc.add_text(text, "late");
        writer.add_document(doc).expect("add");
        let mut commit = writer.prepare_commit().expect("prepare");
        commit.set_payload(r#"{"last_indexed_id":7}"#);
        commit.commit().expect("commit");
        drop(writer);

        let index = SearchIndex::open(&IndexLocation::Dir(dir)).expect("rebuilt");
        assert_eq!(index.index.schema(), schema().0);
        assert_eq!(index.num_docs(), 0);
        assert_eq!(
            index.last_indexed_id().expect("payload"),
            0,
            "the store re-indexes every post into the new index"
        );
    }

    #[test]
    fn labels_are_keyed_like_the_matcher_compares_them() {
        assert_eq!(label_key("Lost Luggage"), "lost_luggage");
        assert_eq!(label_key("lost-luggage"), "lost_luggage");
    }

    #[test]
    fn regex_escape_keeps_literals_literal() {
        assert_eq!(regex_escape("#a.b"), "\\#a\\.b");
        assert!(
            RegexQuery::from_pattern(&format!("{}.*", regex_escape("@a.b-c")), schema().1.text)
                .is_ok()
        );
    }
}
