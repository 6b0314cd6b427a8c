-- SAW's initial schema (SQLite). Times are UTC milliseconds since the epoch; booleans 0/1.
-- Never edit a migration once released: add a new one.

CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    time_zone   TEXT    NOT NULL DEFAULT 'America/Sao_Paulo',
    language    TEXT    NOT NULL DEFAULT 'pt-BR',
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id                    INTEGER PRIMARY KEY,
    account_id            INTEGER NOT NULL REFERENCES accounts(id),
    name                  TEXT    NOT NULL,
    email                 TEXT    NOT NULL UNIQUE,
    role                  TEXT    NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    active                INTEGER NOT NULL DEFAULT 1,
    password_hash         TEXT    NOT NULL,
    must_change_password  INTEGER NOT NULL DEFAULT 0,
    totp_secret           BLOB,
    totp_enabled          INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE INDEX users_account ON users(account_id);

CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT    NOT NULL,
    used_at    INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);

CREATE TABLE queues (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,
    color       TEXT    NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    UNIQUE (account_id, name_key)
);
CREATE UNIQUE INDEX queues_one_default ON queues(account_id) WHERE is_default = 1;

CREATE TABLE queue_members (
    queue_id  INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (queue_id, user_id)
);
CREATE INDEX queue_members_user ON queue_members(user_id);

CREATE TABLE channels (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id),
    kind         TEXT    NOT NULL CHECK (kind IN ('whatsapp', 'telegram', 'sandbox')),
    name         TEXT    NOT NULL,
    credentials  BLOB,
    settings     TEXT    NOT NULL DEFAULT '{}',
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX channels_account ON channels(account_id);

CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id),
    family       TEXT    NOT NULL,
    external_id  TEXT    NOT NULL,
    name         TEXT,
    phone        TEXT,
    fields       TEXT    NOT NULL DEFAULT '{}',
    notes        TEXT    NOT NULL DEFAULT '',
    opted_out    INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (account_id, family, external_id)
);
CREATE INDEX contacts_phone ON contacts(account_id, phone);

CREATE TABLE tickets (
    id                    INTEGER PRIMARY KEY,
    account_id            INTEGER NOT NULL REFERENCES accounts(id),
    contact_id            INTEGER NOT NULL REFERENCES contacts(id),
    channel_id            INTEGER NOT NULL REFERENCES channels(id),
    queue_id              INTEGER REFERENCES queues(id),
    assignee_id           INTEGER REFERENCES users(id),
    status                TEXT    NOT NULL CHECK (status IN ('bot', 'pending', 'open', 'resolved')),
    protocol              TEXT    NOT NULL,
    created_at            INTEGER NOT NULL,
    queued_at             INTEGER,
    accepted_at           INTEGER,
    first_agent_reply_at  INTEGER,
    resolved_at           INTEGER,
    last_message_at       INTEGER,
    updated_at            INTEGER NOT NULL,
    UNIQUE (account_id, protocol)
);
CREATE INDEX tickets_inbox ON tickets(account_id, status, queue_id);
CREATE INDEX tickets_assignee ON tickets(assignee_id, status);
CREATE INDEX tickets_contact ON tickets(contact_id);

CREATE TABLE ticket_events (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    ticket_id      INTEGER NOT NULL REFERENCES tickets(id),
    kind           TEXT    NOT NULL CHECK (kind IN ('created', 'queued', 'accepted', 'transferred',
                                                    'returned_to_bot', 'reopened', 'resolved')),
    at             INTEGER NOT NULL,
    actor_user_id  INTEGER REFERENCES users(id),
    from_queue_id  INTEGER REFERENCES queues(id),
    to_queue_id    INTEGER REFERENCES queues(id),
    to_user_id     INTEGER REFERENCES users(id),
    note           TEXT
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id);
CREATE INDEX ticket_events_account_at ON ticket_events(account_id, at);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    ticket_id       INTEGER NOT NULL REFERENCES tickets(id),
    channel_id      INTEGER NOT NULL REFERENCES channels(id),
    direction       TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    kind            TEXT    NOT NULL,
    body            TEXT,
    media_ref       TEXT,
    media_type      TEXT,
    provider_id     TEXT,
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed')),
    error           TEXT,
    author_user_id  INTEGER REFERENCES users(id),
    is_note         INTEGER NOT NULL DEFAULT 0,
    reply_to_id     INTEGER REFERENCES messages(id),
    raw             TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (channel_id, provider_id)
);
CREATE INDEX messages_ticket ON messages(ticket_id, id);
CREATE INDEX messages_account_at ON messages(account_id, created_at);

CREATE TABLE tags (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,
    color       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (account_id, name_key)
);

CREATE TABLE ticket_tags (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, tag_id)
);

CREATE TABLE contact_tags (
    contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
);

CREATE TABLE quick_replies (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    shortcut    TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_by  INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (account_id, shortcut)
);

-- Weekly schedule: one row per open interval; queue_id NULL is the account's own schedule.
CREATE TABLE business_hours (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    queue_id      INTEGER REFERENCES queues(id) ON DELETE CASCADE,
    weekday       INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    opens_minute  INTEGER NOT NULL CHECK (opens_minute BETWEEN 0 AND 1440),
    closes_minute INTEGER NOT NULL CHECK (closes_minute BETWEEN 0 AND 1440)
);
CREATE INDEX business_hours_account ON business_hours(account_id, queue_id);

-- Holidays and exceptional dates (local date in the account's time zone).
CREATE TABLE business_hours_exceptions (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    queue_id      INTEGER REFERENCES queues(id) ON DELETE CASCADE,
    day           TEXT    NOT NULL,
    closed        INTEGER NOT NULL DEFAULT 1,
    opens_minute  INTEGER,
    closes_minute INTEGER,
    description   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX business_hours_exceptions_account ON business_hours_exceptions(account_id, day);

CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER REFERENCES accounts(id),
    actor_user_id  INTEGER REFERENCES users(id),
    actor          TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    target         TEXT,
    detail         TEXT,
    ip             TEXT,
    created_at     INTEGER NOT NULL
);
CREATE INDEX audit_log_account ON audit_log(account_id, id);
CREATE INDEX audit_log_action_ip ON audit_log(action, ip, created_at);

CREATE TABLE sessions (
    token_hash    TEXT    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token    TEXT    NOT NULL,
    mfa_pending   INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    ip            TEXT,
    user_agent    TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    token_hash    TEXT    NOT NULL UNIQUE,
    token_prefix  TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_tokens_account ON api_tokens(account_id);

-- Instance-wide facts (such as the check value of the secrets key).
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
