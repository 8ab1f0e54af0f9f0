-- Switchyard social CRM: people and access, cases, SLAs, customers, replies, voice, surveys, audit.
-- Timestamps are epoch milliseconds (UTC); JSON is stored as TEXT; flags are 0/1 integers.

CREATE TABLE crm_teams (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE TABLE crm_users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    email TEXT,
    role TEXT NOT NULL,
    password_hash TEXT,
    max_open_cases BIGINT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

CREATE TABLE crm_memberships (
    user_id BIGINT NOT NULL REFERENCES crm_users(id),
    team_id BIGINT NOT NULL REFERENCES crm_teams(id),
    PRIMARY KEY (user_id, team_id)
);

CREATE TABLE crm_credentials (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES crm_users(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX crm_credentials_user ON crm_credentials (user_id);

CREATE TABLE crm_customers (
    id BIGSERIAL PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    reach BIGINT NOT NULL DEFAULT 0,
    merged_into BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE crm_identities (
    id BIGSERIAL PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES crm_customers(id),
    kind TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT '',
    value TEXT NOT NULL,
    verified BIGINT NOT NULL DEFAULT 0,
    followers BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, channel, value)
);
CREATE INDEX crm_identities_customer ON crm_identities (customer_id);

CREATE TABLE crm_customer_posts (
    post_id BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL,
    identity_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    visibility TEXT NOT NULL,
    sentiment DOUBLE PRECISION,
    created_at BIGINT NOT NULL
);
CREATE INDEX crm_customer_posts_customer ON crm_customer_posts (customer_id);

CREATE TABLE crm_link_suggestions (
    id BIGSERIAL PRIMARY KEY,
    customer_id BIGINT NOT NULL,
    other_customer_id BIGINT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    created_at BIGINT NOT NULL,
    UNIQUE (customer_id, other_customer_id)
);

CREATE TABLE crm_merges (
    id BIGSERIAL PRIMARY KEY,
    survivor_id BIGINT NOT NULL,
    merged_id BIGINT NOT NULL,
    snapshot TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    merged_by BIGINT,
    merged_at BIGINT NOT NULL,
    unmerged_by BIGINT,
    unmerged_at BIGINT
);

CREATE TABLE crm_cases (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    team TEXT NOT NULL,
    assignee_id BIGINT,
    priority TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    customer_id BIGINT,
    sla_policy TEXT,
    channel TEXT,
    thread_key TEXT,
    opened_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    waiting_since BIGINT,
    first_response_at BIGINT,
    awaiting_since BIGINT,
    paused_ms BIGINT NOT NULL DEFAULT 0,
    paused_since BIGINT,
    paused_at_awaiting BIGINT NOT NULL DEFAULT 0,
    resolved_at BIGINT,
    closed_at BIGINT,
    created_by BIGINT
);
CREATE INDEX crm_cases_team_status ON crm_cases (team, status);
CREATE INDEX crm_cases_thread ON crm_cases (thread_key);
CREATE INDEX crm_cases_customer ON crm_cases (customer_id);
CREATE INDEX crm_cases_assignee ON crm_cases (assignee_id);

CREATE TABLE crm_case_posts (
    post_id BIGINT PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES crm_cases(id),
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    thread_key TEXT,
    author_handle TEXT NOT NULL,
    visibility TEXT NOT NULL,
    taken_private_at BIGINT,
    linked_at BIGINT NOT NULL
);
CREATE INDEX crm_case_posts_case ON crm_case_posts (case_id);

CREATE TABLE crm_case_events (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES crm_cases(id),
    at BIGINT NOT NULL,
    actor_id BIGINT,
    kind TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX crm_case_events_case ON crm_case_events (case_id, id);

CREATE TABLE crm_round_robin (
    team TEXT PRIMARY KEY,
    last_user_id BIGINT NOT NULL
);

CREATE TABLE crm_sla_responses (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES crm_cases(id),
    kind TEXT NOT NULL,
    waiting_since BIGINT NOT NULL,
    responded_at BIGINT NOT NULL,
    business_ms BIGINT NOT NULL,
    target_ms BIGINT,
    met BIGINT
);
CREATE INDEX crm_sla_responses_case ON crm_sla_responses (case_id);

CREATE TABLE crm_sla_notices (
    case_id BIGINT NOT NULL,
    metric TEXT NOT NULL,
    kind TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    emitted_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, metric, kind, due_at)
);

CREATE TABLE crm_templates (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    team TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE crm_handoffs (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES crm_cases(id),
    via TEXT NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    customer_id BIGINT,
    public_channel TEXT,
    public_thread_key TEXT,
    outbox_id BIGINT,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    completed_at BIGINT,
    completed_post_id BIGINT
);
CREATE INDEX crm_handoffs_case ON crm_handoffs (case_id);

CREATE TABLE crm_outbox (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES crm_cases(id),
    channel TEXT NOT NULL,
    in_reply_to TEXT,
    recipient TEXT,
    visibility TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    approval_reason TEXT,
    review_comment TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    sending_since BIGINT,
    idempotency_key TEXT NOT NULL UNIQUE,
    author_id BIGINT,
    reviewed_by BIGINT,
    external_id TEXT,
    handoff_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX crm_outbox_status ON crm_outbox (status, next_attempt_at);
CREATE INDEX crm_outbox_case ON crm_outbox (case_id);

CREATE TABLE crm_own_replies (
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    outbox_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (channel, external_id)
);

CREATE TABLE crm_voice (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    team TEXT NOT NULL,
    post_id BIGINT,
    case_id BIGINT,
    author_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX crm_voice_team ON crm_voice (team, kind);

CREATE TABLE crm_surveys (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    score BIGINT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    case_id BIGINT,
    customer_id BIGINT,
    source TEXT NOT NULL,
    external_ref TEXT UNIQUE,
    responded_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX crm_surveys_customer ON crm_surveys (customer_id);

CREATE TABLE crm_audit (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT,
    case_id BIGINT,
    customer_id BIGINT,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX crm_audit_case ON crm_audit (case_id, id);
CREATE INDEX crm_audit_customer ON crm_audit (customer_id, id);
CREATE INDEX crm_audit_actor ON crm_audit (actor_id, id);
