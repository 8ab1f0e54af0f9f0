-- Two indexes of 0001 that no query uses cost ~10% of ingest time (measured with
-- crates/store/examples/ingest_bench.rs): nothing filters on ingested_at alone (index catch-up
-- walks ids), and language has few distinct values (a scan of post_analysis is as fast).
DROP INDEX IF EXISTS posts_ingested_at;
DROP INDEX IF EXISTS post_analysis_language;
