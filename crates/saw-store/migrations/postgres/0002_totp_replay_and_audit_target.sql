-- The last TOTP time step accepted per user, so a code cannot be used twice; and an index to
-- count failed second factors per user.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
CREATE INDEX audit_log_action_target ON audit_log(action, target, created_at);
