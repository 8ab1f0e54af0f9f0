-- Switchyard social CRM: people and access, cases, SLAs, customers, replies, voice, surveys, audit.
-- Timestamps are epoch milliseconds (UTC); JSON is stored as TEXT; flags are 0/1 integers.

CREATE TABLE crm_teams (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE crm_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    email TEXT,
    role TEXT NOT NULL,
    password_hash TEXT,
    max_open_cases INTEGER,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);

CREATE TABLE crm_memberships (
    user_id INTEGER NOT NULL REFERENCES crm_users(id),
    team_id INTEGER NOT NULL REFERENCES crm_teams(id),
    PRIMARY KEY (user_id, team_id)
);

CREATE TABLE crm_credentials (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES crm_users(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX crm_credentials_user ON crm_credentials (user_id);

CREATE TABLE crm_customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    display_name TEXT NOT NULL DEFAULT '',
    reach INTEGER NOT NULL DEFAULT 0,
    merged_into INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE crm_identities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL REFERENCES crm_customers(id),
    kind TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT '',
    value TEXT NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0,
    followers INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (kind, channel, value)
);
CREATE INDEX crm_identities_customer ON crm_identities (customer_id);

CREATE TABLE crm_customer_posts (
    post_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    identity_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    visibility TEXT NOT NULL,
    sentiment REAL,
    created_at INTEGER NOT NULL
);
CREATE INDEX crm_customer_posts_customer ON crm_customer_posts (customer_id);

CREATE TABLE crm_link_suggestions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    other_customer_id INTEGER NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    created_at INTEGER NOT NULL,
    UNIQUE (customer_id, other_customer_id)
);

CREATE TABLE crm_merges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    survivor_id INTEGER NOT NULL,
    merged_id INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    merged_by INTEGER,
    merged_at INTEGER NOT NULL,
    unmerged_by INTEGER,
    unmerged_at INTEGER
);

CREATE TABLE crm_cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    team TEXT NOT NULL,
    assignee_id INTEGER,
    priority TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    customer_id INTEGER,
    sla_policy TEXT,
    channel TEXT,
    thread_key TEXT,
    opened_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    waiting_since INTEGER,
    first_response_at INTEGER,
    awaiting_since INTEGER,
    paused_ms INTEGER NOT NULL DEFAULT 0,
    paused_since INTEGER,
    paused_at_awaiting INTEGER NOT NULL DEFAULT 0,
    resolved_at INTEGER,
    closed_at INTEGER,
    created_by INTEGER
);
CREATE INDEX crm_cases_team_status ON crm_cases (team, status);
CREATE INDEX crm_cases_thread ON crm_cases (thread_key);
CREATE INDEX crm_cases_customer ON crm_cases (customer_id);
CREATE INDEX crm_cases_assignee ON crm_cases (assignee_id);

CREATE TABLE crm_case_posts (
    post_id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES crm_cases(id),
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    thread_key TEXT,
    author_handle TEXT NOT NULL,
    visibility TEXT NOT NULL,
    taken_private_at INTEGER,
    linked_at INTEGER NOT NULL
);
CREATE INDEX crm_case_posts_case ON crm_case_posts (case_id);

CREATE TABLE crm_case_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES crm_cases(id),
    at INTEGER NOT NULL,
    actor_id INTEGER,
    kind TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX crm_case_events_case ON crm_case_events (case_id, id);

CREATE TABLE crm_round_robin (
    team TEXT PRIMARY KEY,
    last_user_id INTEGER NOT NULL
);

CREATE TABLE crm_sla_responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES crm_cases(id),
    kind TEXT NOT NULL,
    waiting_since INTEGER NOT NULL,
    responded_at INTEGER NOT NULL,
    business_ms INTEGER NOT NULL,
    target_ms INTEGER,
    met INTEGER
);
CREATE INDEX crm_sla_responses_case ON crm_sla_responses (case_id);

CREATE TABLE crm_sla_notices (
    case_id INTEGER NOT NULL,
    metric TEXT NOT NULL,
    kind TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    emitted_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, metric, kind, due_at)
);

CREATE TABLE crm_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    team TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE crm_handoffs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES crm_cases(id),
    via TEXT NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    customer_id INTEGER,
    public_channel TEXT,
    public_thread_key TEXT,
    outbox_id INTEGER,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    completed_at INTEGER,
    completed_post_id INTEGER
);
CREATE INDEX crm_handoffs_case ON crm_handoffs (case_id);

CREATE TABLE crm_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES crm_cases(id),
    channel TEXT NOT NULL,
    in_reply_to TEXT,
    recipient TEXT,
    visibility TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    approval_reason TEXT,
    review_comment TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    sending_since INTEGER,
    idempotency_key TEXT NOT NULL UNIQUE,
    author_id INTEGER,
    reviewed_by INTEGER,
    external_id TEXT,
    handoff_id INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    delivered_at INTEGER
);
CREATE INDEX crm_outbox_status ON crm_outbox (status, next_attempt_at);
CREATE INDEX crm_outbox_case ON crm_outbox (case_id);

CREATE TABLE crm_own_replies (
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    outbox_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (channel, external_id)
);

CREATE TABLE crm_voice (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    team TEXT NOT NULL,
    post_id INTEGER,
    case_id INTEGER,
    author_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX crm_voice_team ON crm_voice (team, kind);

CREATE TABLE crm_surveys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    score INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    case_id INTEGER,
    customer_id INTEGER,
    source TEXT NOT NULL,
    external_ref TEXT UNIQUE,
    responded_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX crm_surveys_customer ON crm_surveys (customer_id);

CREATE TABLE crm_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor_id INTEGER,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER,
    case_id INTEGER,
    customer_id INTEGER,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX crm_audit_case ON crm_audit (case_id, id);
CREATE INDEX crm_audit_customer ON crm_audit (customer_id, id);
CREATE INDEX crm_audit_actor ON crm_audit (actor_id, id);
