-- The ladder: actions at rungs 1 to 6 on a cluster, each with its own workflow.
CREATE TABLE actions (
    id INTEGER PRIMARY KEY NOT NULL,
    cluster_id BIGINT NOT NULL REFERENCES clusters (id),
    rung INTEGER NOT NULL CHECK (rung BETWEEN 1 AND 6),
    title TEXT NOT NULL,
    -- The finding that led to it (e.g. the interview result).
    why TEXT NOT NULL DEFAULT '',
    owner_id BIGINT REFERENCES users (id),
    due_on DATE,
    -- The goal committed before launch: 'weekly_rate_below' or 'rate_ratio_below'.
    goal_kind TEXT,
    goal_value DOUBLE PRECISION,
    -- proposed, scheduled, in_development (features), planned (others), launched, cancelled.
    stage TEXT NOT NULL,
    launched_on DATE,
    review_after_weeks INTEGER NOT NULL DEFAULT 4,
    -- Mechanism: weeks a launched policy stays on the retrospective agenda.
    retro_weeks INTEGER,
    -- KPI change and weight tuning.
    kpi_department_id BIGINT REFERENCES departments (id),
    kpi_item TEXT,
    kpi_definition TEXT,
    kpi_weight DOUBLE PRECISION,
    -- Weight tuning's guard metric: a cluster or a category that must not worsen.
    guard_cluster_id BIGINT REFERENCES clusters (id),
    guard_category_id BIGINT REFERENCES categories (id),
    guard_margin DOUBLE PRECISION,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX actions_cluster ON actions (cluster_id, id);

-- Every dated step of an action's workflow.
CREATE TABLE action_steps (
    id INTEGER PRIMARY KEY NOT NULL,
    action_id BIGINT NOT NULL REFERENCES actions (id),
    stage TEXT NOT NULL,
    on_date DATE NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    note TEXT NOT NULL DEFAULT '',
    at TIMESTAMP NOT NULL
);
CREATE INDEX action_steps_action ON action_steps (action_id, id);

-- A policy's departments, and their sign-offs (the latest per department counts).
CREATE TABLE action_departments (
    action_id BIGINT NOT NULL REFERENCES actions (id),
    department_id BIGINT NOT NULL REFERENCES departments (id),
    PRIMARY KEY (action_id, department_id)
);
CREATE TABLE action_signoffs (
    id INTEGER PRIMARY KEY NOT NULL,
    action_id BIGINT NOT NULL REFERENCES actions (id),
    department_id BIGINT NOT NULL REFERENCES departments (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'object')),
    comment TEXT NOT NULL DEFAULT '',
    at TIMESTAMP NOT NULL
);
CREATE INDEX action_signoffs_action ON action_signoffs (action_id, id);

-- Weight revisions of a KPI weight tuning.
CREATE TABLE action_weights (
    id INTEGER PRIMARY KEY NOT NULL,
    action_id BIGINT NOT NULL REFERENCES actions (id),
    weight DOUBLE PRECISION NOT NULL,
    on_date DATE NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    actor_id BIGINT REFERENCES users (id),
    at TIMESTAMP NOT NULL
);
CREATE INDEX action_weights_action ON action_weights (action_id, id);

CREATE TABLE action_comments (
    id INTEGER PRIMARY KEY NOT NULL,
    action_id BIGINT NOT NULL REFERENCES actions (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX action_comments_action ON action_comments (action_id, id);

-- A lead's "not now" to the coach's recommendation, with the reason.
CREATE TABLE coach_dismissals (
    id INTEGER PRIMARY KEY NOT NULL,
    cluster_id BIGINT NOT NULL REFERENCES clusters (id),
    rung INTEGER NOT NULL,
    reason TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    at TIMESTAMP NOT NULL
);
CREATE INDEX coach_dismissals_cluster ON coach_dismissals (cluster_id, id);
