-- OAuth 2.0 / OpenID Connect state: SSO sessions, authorization codes,
-- refresh tokens, consents and revocations. Secrets (session ids, codes,
-- refresh tokens) are stored only as SHA-256 hashes.

CREATE TABLE sso_sessions (
    id_hash     BLOB PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    sid         TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    auth_time   INTEGER NOT NULL,
    amr         TEXT NOT NULL,
    acr         TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sso_sessions_user ON sso_sessions (tenant_id, user_id);
CREATE UNIQUE INDEX sso_sessions_sid_uq ON sso_sessions (tenant_id, sid);

CREATE TABLE oauth_codes (
    code_hash      BLOB PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    sid            TEXT NOT NULL,
    grant_id       TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    auth_time      INTEGER NOT NULL,
    amr            TEXT NOT NULL,
    acr            TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at);

CREATE TABLE refresh_tokens (
    token_hash  BLOB PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    sid         TEXT NOT NULL,
    grant_id    TEXT NOT NULL,
    scope       TEXT NOT NULL,
    auth_time   INTEGER NOT NULL,
    amr         TEXT NOT NULL,
    acr         TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (tenant_id, grant_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (tenant_id, user_id);

CREATE TABLE consents (
    tenant_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scope      TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id, client_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- A revoked grant (every token of one authorization) or one access token
-- (by its jti). Rows can go once expires_at, the last expiry of what they
-- revoke, has passed.
CREATE TABLE revocations (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
