-- Signing out ends every session of that person, copied cookies included: a session
-- carries the epoch it began in, and signing out moves the person to the next one.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
