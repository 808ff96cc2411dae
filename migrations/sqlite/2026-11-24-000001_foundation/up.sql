-- The foundation: settings, people, departments, categories, tokens, incidents, audit.
CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE departments (
    id INTEGER PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY NOT NULL,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('member', 'lead', 'admin')),
    department_id BIGINT REFERENCES departments (id),
    password_hash TEXT NOT NULL,
    language TEXT,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category_id BIGINT NOT NULL REFERENCES categories (id),
    reporter_id BIGINT NOT NULL REFERENCES users (id),
    department_id BIGINT REFERENCES departments (id),
    counterpart_id BIGINT REFERENCES departments (id),
    occurred_at TIMESTAMP NOT NULL,
    local_date DATE NOT NULL,
    week_key TEXT NOT NULL,
    iso_weekday INTEGER NOT NULL,
    local_hour INTEGER NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    external_ref TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'handled', 'withdrawn')),
    handled_note TEXT,
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX incidents_week ON incidents (week_key, category_id);
CREATE INDEX incidents_occurred ON incidents (occurred_at);
CREATE INDEX incidents_reporter ON incidents (reporter_id, occurred_at);

CREATE TABLE incident_tags (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    tag TEXT NOT NULL,
    PRIMARY KEY (incident_id, tag)
);
CREATE INDEX incident_tags_tag ON incident_tags (tag);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_entity ON audit_events (entity, entity_id, id);

INSERT INTO settings (key, value) VALUES ('timezone', 'UTC');

INSERT INTO departments (slug, name) VALUES
    ('sales', 'Sales'),
    ('approval', 'Approval'),
    ('product', 'Product'),
    ('hr', 'HR'),
    ('operations', 'Operations');

INSERT INTO categories (slug, name_en, name_zh, description) VALUES
    ('approval-chase', 'Approval chase', '催审批', 'Someone chases an approval that is taking too long.'),
    ('system-bug', 'System bug', '系统故障', 'A system fault stops work.'),
    ('process-question', 'Process question', '流程咨询', 'Someone asks how a process works.'),
    ('data-fix', 'Data fix', '数据修改', 'A record must be corrected by hand.'),
    ('other', 'Other', '其他', 'Anything else.');
