-- The OpenID Connect applications each SSO session signed in to that take
-- back-channel logout (oidc.backchannel_logout_uri set): one row per
-- session and application, with the subject its ID tokens named. Rows go
-- when their session's logout sends the logout tokens, or at the latest
-- when the session would have ended.
CREATE TABLE oidc_logins (
    sid            TEXT NOT NULL,
    application_id TEXT NOT NULL,
    tenant_id      TEXT NOT NULL,
    subject        TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    PRIMARY KEY (sid, application_id)
);
CREATE INDEX oidc_logins_expiry ON oidc_logins (expires_at);
