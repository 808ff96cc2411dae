-- The weekly retrospective's meeting: one per week, open while it is being recorded and
-- held once the lead closes it (a held meeting can be reopened and corrected). Who
-- attended, the notes, and the decisions, each of which may have become an action.
CREATE TABLE meetings (
    id INTEGER PRIMARY KEY NOT NULL,
    week_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    notes TEXT NOT NULL,
    held_at TIMESTAMP,
    held_by BIGINT REFERENCES users (id),
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE meeting_attendees (
    meeting_id BIGINT NOT NULL REFERENCES meetings (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (meeting_id, user_id)
);
CREATE TABLE meeting_decisions (
    id INTEGER PRIMARY KEY NOT NULL,
    meeting_id BIGINT NOT NULL REFERENCES meetings (id),
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    action_id BIGINT REFERENCES actions (id),
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP
);
CREATE INDEX meeting_decisions_meeting ON meeting_decisions (meeting_id, id);
CREATE INDEX meeting_decisions_open ON meeting_decisions (state, meeting_id);
