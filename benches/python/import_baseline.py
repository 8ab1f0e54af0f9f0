#!/usr/bin/env python3
"""A plain Python import loop, the baseline `scripts/bench-import.sh` compares Switchyard with.

csv.DictReader -> vaderSentiment -> keyword routing -> sqlite3, with what Switchyard's import also
does, so the comparison is fair:
  * posts table with a UNIQUE (channel, external_id) index (idempotent: INSERT OR IGNORE),
  * analysis stored beside the post (VADER neg/neu/pos/compound + label),
  * a queue picked by keyword rules (first match wins, else "unrouted") plus tags,
  * an FTS5 full-text index so the posts are searchable,
  * batched transactions of 2,000 rows, WAL journal.
It does not detect language, run classifiers or evaluate Boolean queries: Switchyard does more.

usage: import_baseline.py FILE.csv DB_PATH
"""
import csv
import json
import re
import sqlite3
import sys
import time
from datetime import datetime, timezone

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# queue, priority, tags, keywords (any word matches) -- the spirit of config/rules.toml
RULES = [
    ("spam", "low", ["spam"], {"giveaway", "free", "win", "click"}),
    ("product", "high", ["glitch"], {"website", "app", "checkout", "login", "crash", "crashes", "error", "broken"}),
    ("support", "normal", ["complaint"], {"late", "delayed", "delay", "cancelled", "lost", "refund", "bag", "luggage", "worst", "hold"}),
    ("sales", "high", ["lead"], {"price", "pricing", "quote", "upgrade", "how much"}),
    ("community", "low", ["praise"], {"thanks", "thank", "love", "great", "awesome"}),
]
WORD = re.compile(r"[\w']+")
BATCH = 2000


def route(text, compound):
    words = set(WORD.findall(text.lower()))
    queue, priority, tags = None, "normal", []
    for name, rule_priority, rule_tags, keywords in RULES:
        if words & keywords:
            if queue is None:
                queue, priority = name, rule_priority
            tags.extend(t for t in rule_tags if t not in tags)
    if compound <= -0.4 and queue is None:
        queue = "support"
    return queue or "unrouted", priority, tags


def main():
    path, db_path = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS posts (
            id INTEGER PRIMARY KEY, channel TEXT NOT NULL, external_id TEXT NOT NULL,
            author TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL, meta TEXT,
            neg REAL, neu REAL, pos REAL, compound REAL, sentiment TEXT,
            queue TEXT NOT NULL, priority TEXT NOT NULL, tags TEXT NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS posts_key ON posts(channel, external_id);
        CREATE INDEX IF NOT EXISTS posts_created ON posts(created_at);
        CREATE INDEX IF NOT EXISTS posts_queue ON posts(queue);
        CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5(text, content='posts', content_rowid='id');
        """
    )
    analyzer = SentimentIntensityAnalyzer()
    read = new = rejected = 0
    rows = []

    def flush():
        nonlocal new
        with db:
            for row in rows:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO posts (channel, external_id, author, text, created_at, meta,"
                    " neg, neu, pos, compound, sentiment, queue, priority, tags)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    row,
                )
                if cursor.rowcount == 1:
                    new += 1
                    db.execute(
                        "INSERT INTO posts_fts (rowid, text) VALUES (?, ?)",
                        (cursor.lastrowid, row[3]),
                    )
        rows.clear()

    with open(path, encoding="utf-8", newline="") as f:
        for record in csv.DictReader(f):
            read += 1
            try:
                created = datetime.strptime(record["tweet_created"], "%Y-%m-%d %H:%M:%S %z")
                text = record["text"]
                external_id = record["tweet_id"].strip()
                if not external_id or not text.strip():
                    raise ValueError("empty id or text")
            except (KeyError, ValueError):
                rejected += 1
                continue
            scores = analyzer.polarity_scores(text)
            compound = scores["compound"]
            label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
            queue, priority, tags = route(text, compound)
            meta = json.dumps({k: v for k, v in record.items() if k not in ("tweet_id", "text", "name", "tweet_created") and v})
            rows.append((
                "x", external_id, record["name"], text,
                created.astimezone(timezone.utc).isoformat(), meta,
                scores["neg"], scores["neu"], scores["pos"], compound, label,
                queue, priority, json.dumps(tags),
            ))
            if len(rows) >= BATCH:
                flush()
    flush()
    db.close()
    elapsed = time.perf_counter() - started
    print(json.dumps({"read": read, "new": new, "rejected": rejected, "seconds": round(elapsed, 3)}))


if __name__ == "__main__":
    main()
