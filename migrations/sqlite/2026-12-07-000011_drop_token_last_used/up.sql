-- Never written: recording each use would make every API read a write. A token's use
-- is in the request log; its creation and revocation are on the trail.
ALTER TABLE api_tokens DROP COLUMN last_used_at;
