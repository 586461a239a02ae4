-- Users' second factors (TOTP first). The secret is sealed by the mfa
-- service; a user's credentials go with the user.
CREATE TABLE mfa_credentials (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    type           TEXT NOT NULL,
    secret         BLOB NOT NULL,
    label          TEXT NOT NULL DEFAULT '',
    confirmed      INTEGER NOT NULL DEFAULT 0,
    last_used_step INTEGER NOT NULL DEFAULT 0,
    attempts       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX mfa_credentials_user ON mfa_credentials (tenant_id, user_id);
