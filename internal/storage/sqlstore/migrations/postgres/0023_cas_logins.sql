-- The CAS applications each SSO session signed in to that take
-- back-channel logout (cas.logout_type back_channel): the validated
-- service ticket, sealed, which the logout request names as its
-- SessionIndex. Rows go when their session's logout sends the requests,
-- or at the latest when the session would have ended.
CREATE TABLE cas_logins (
    ticket_hash    BYTEA PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    sid            TEXT NOT NULL,
    application_id TEXT NOT NULL,
    service        TEXT NOT NULL,
    sealed_ticket  BYTEA NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
-- Not (tenant_id, sid): see 0022.
CREATE INDEX cas_logins_sid ON cas_logins (sid);
CREATE INDEX cas_logins_expiry ON cas_logins (expires_at);
