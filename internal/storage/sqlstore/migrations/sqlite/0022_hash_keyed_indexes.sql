-- Tables keyed by a secret's hash (tickets, refresh tokens, sessions) are
-- looked up by "hash = ? AND tenant_id = ?". While such a table has no
-- planner statistics (a new deployment, or the first minute of a busy
-- one), PostgreSQL can prefer a secondary index that begins with
-- tenant_id and then walks every row of the tenant: a plan cached that
-- way made CAS validation slower with every ticket issued. The secondary
-- indexes key on their own random or unique column instead (a sid, a
-- grant id, a user id); queries still name the tenant, and the index no
-- longer competes with the hash's key.
DROP INDEX cas_tickets_sid;
CREATE INDEX cas_tickets_sid ON cas_tickets (sid);
DROP INDEX refresh_tokens_grant;
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
DROP INDEX refresh_tokens_user;
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
DROP INDEX sso_sessions_user;
CREATE INDEX sso_sessions_user ON sso_sessions (user_id);
DROP INDEX sso_sessions_sid_uq;
CREATE UNIQUE INDEX sso_sessions_sid_uq ON sso_sessions (sid);
