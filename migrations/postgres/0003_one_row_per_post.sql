-- One row per post: the analysis and the routing decision move from post_analysis and
-- post_routes into posts. Every post always had exactly one of each (one transaction stored all
-- three), so nothing is lost; ingest writes one row per post instead of three (no cheaper: SQLite's
-- cost follows the bytes) and reads need no joins (docs/performance.md, Import, session 3).
-- posts.language stays the language the source gave; the detected one is detected_language.
ALTER TABLE posts ADD COLUMN detected_language TEXT;
ALTER TABLE posts ADD COLUMN sentiment TEXT;
ALTER TABLE posts ADD COLUMN compound DOUBLE PRECISION;
ALTER TABLE posts ADD COLUMN complaint TEXT;
ALTER TABLE posts ADD COLUMN intent TEXT;
ALTER TABLE posts ADD COLUMN reason TEXT;
ALTER TABLE posts ADD COLUMN urgency TEXT;
ALTER TABLE posts ADD COLUMN toxicity TEXT;
ALTER TABLE posts ADD COLUMN analysis JSONB;
ALTER TABLE posts ADD COLUMN queue TEXT;
ALTER TABLE posts ADD COLUMN priority TEXT;
ALTER TABLE posts ADD COLUMN tags JSONB;
ALTER TABLE posts ADD COLUMN sla_policy TEXT;
ALTER TABLE posts ADD COLUMN alerts JSONB;
ALTER TABLE posts ADD COLUMN matched_rules JSONB;
ALTER TABLE posts ADD COLUMN routed_at BIGINT;

UPDATE posts SET (detected_language, sentiment, compound, complaint, intent, reason, urgency,
                  toxicity, analysis) =
    (SELECT a.language, a.sentiment, a.compound, a.complaint, a.intent, a.reason, a.urgency,
            a.toxicity, a.analysis
     FROM post_analysis a WHERE a.post_id = posts.id);
UPDATE posts SET (queue, priority, tags, sla_policy, alerts, matched_rules, routed_at) =
    (SELECT r.queue, r.priority, r.tags, r.sla_policy, r.alerts, r.matched_rules, r.routed_at
     FROM post_routes r WHERE r.post_id = posts.id);

DROP TABLE post_analysis;
DROP TABLE post_routes;

CREATE INDEX posts_sentiment ON posts (sentiment, id);
CREATE INDEX posts_intent ON posts (intent, id);
CREATE INDEX posts_queue ON posts (queue, id);
-- The queue counts (per queue: posts, urgent, high, oldest) as an index-only scan.
CREATE INDEX posts_queue_counts ON posts (queue, priority, created_at);
