-- Switchyard core schema (SQLite): posts, their analysis and routing, connector cursors and
-- agents' label corrections. Timestamps are INTEGER microseconds since the Unix epoch (UTC),
-- identical in the PostgreSQL schema so that every query is portable.
-- Files 0001-0099 belong to the store crate; 0100+ to the CRM crate.

CREATE TABLE posts (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    channel             TEXT    NOT NULL,
    external_id         TEXT    NOT NULL,
    thread_id           TEXT,
    parent_id           TEXT,
    author_handle       TEXT    NOT NULL,
    author_display_name TEXT,
    author_followers    INTEGER,
    author_verified     BOOLEAN NOT NULL DEFAULT 0,
    text                TEXT    NOT NULL,
    language            TEXT,
    created_at          INTEGER NOT NULL,
    ingested_at         INTEGER NOT NULL,
    visibility          TEXT    NOT NULL,
    permalink           TEXT,
    likes               INTEGER NOT NULL DEFAULT 0,
    shares              INTEGER NOT NULL DEFAULT 0,
    replies             INTEGER NOT NULL DEFAULT 0,
    views               INTEGER,
    meta                TEXT,
    UNIQUE (channel, external_id)
);
CREATE INDEX posts_created_at ON posts (created_at);
CREATE INDEX posts_ingested_at ON posts (ingested_at);
CREATE INDEX posts_author ON posts (author_handle);
CREATE INDEX posts_thread ON posts (channel, thread_id) WHERE thread_id IS NOT NULL;

CREATE TABLE post_analysis (
    post_id    INTEGER PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    language   TEXT    NOT NULL,
    sentiment  TEXT    NOT NULL,
    compound   REAL    NOT NULL,
    complaint  TEXT,
    intent     TEXT,
    reason     TEXT,
    urgency    TEXT,
    toxicity   TEXT,
    analysis   TEXT    NOT NULL
);
CREATE INDEX post_analysis_sentiment ON post_analysis (sentiment);
CREATE INDEX post_analysis_intent ON post_analysis (intent);
CREATE INDEX post_analysis_language ON post_analysis (language);

CREATE TABLE post_routes (
    post_id       INTEGER PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    queue         TEXT    NOT NULL,
    priority      TEXT    NOT NULL,
    tags          TEXT    NOT NULL,
    sla_policy    TEXT,
    alerts        TEXT    NOT NULL,
    matched_rules TEXT    NOT NULL,
    routed_at     INTEGER NOT NULL
);
CREATE INDEX post_routes_queue ON post_routes (queue);

CREATE TABLE connector_cursors (
    source     TEXT PRIMARY KEY,
    cursor     TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE corrections (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id        INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    task           TEXT    NOT NULL,
    label          TEXT    NOT NULL,
    previous_label TEXT,
    model_label    TEXT,
    user_name      TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX corrections_post ON corrections (post_id);
