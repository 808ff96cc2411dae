-- An action's goal broken into weekly targets (src/domain/goal.rs): from the cluster's
-- weekly level in the start week to the target value in the target week, each week in
-- between has its target on the straight line between them (computed, not stored).
CREATE TABLE action_goals (
    action_id BIGINT PRIMARY KEY NOT NULL REFERENCES actions (id),
    start_week TEXT NOT NULL,
    start_level DOUBLE PRECISION NOT NULL,
    target_week TEXT NOT NULL,
    target_value DOUBLE PRECISION NOT NULL
);
-- Each closed week a goal was behind its target (its count above it), recorded once by
-- the scheduler's `goals` job with its `goal_behind` event, in one transaction.
CREATE TABLE goal_behind (
    action_id BIGINT NOT NULL REFERENCES actions (id),
    week_key TEXT NOT NULL,
    actual BIGINT NOT NULL,
    target DOUBLE PRECISION NOT NULL,
    at TIMESTAMP NOT NULL,
    PRIMARY KEY (action_id, week_key)
);
CREATE INDEX goal_behind_week ON goal_behind (week_key);
INSERT INTO scheduled_jobs (name) VALUES ('goals');
