-- Users' second factors (TOTP first). The secret is sealed by the mfa
-- service; a user's credentials go with the user.
CREATE TABLE mfa_credentials (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    type           TEXT NOT NULL,
    secret         BYTEA NOT NULL,
    label          TEXT NOT NULL DEFAULT '',
    confirmed      BOOLEAN NOT NULL DEFAULT FALSE,
    last_used_step BIGINT NOT NULL DEFAULT 0,
    attempts       BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX mfa_credentials_user ON mfa_credentials (tenant_id, user_id);
