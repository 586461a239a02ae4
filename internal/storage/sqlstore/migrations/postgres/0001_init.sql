-- Gatehouse schema, PostgreSQL dialect. Times are Unix milliseconds (UTC).
-- Every row carries tenant_id and every lookup key starts with it.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    domain     TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX tenants_domain_uq ON tenants (domain);

CREATE TABLE organizations (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    parent_id  TEXT,
    category   TEXT NOT NULL DEFAULT 'department',
    sequence   INTEGER NOT NULL DEFAULT 0,
    extension  TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES organizations (tenant_id, id)
);
CREATE UNIQUE INDEX organizations_code_uq ON organizations (tenant_id, code);
CREATE INDEX organizations_parent ON organizations (tenant_id, parent_id, sequence, code);

CREATE TABLE users (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    id              TEXT NOT NULL,
    user_name       TEXT NOT NULL,
    user_name_key   TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    mobile          TEXT,
    mobile_key      TEXT,
    email           TEXT,
    email_key       TEXT,
    employee_id     TEXT,
    external_id     TEXT,
    first_name      TEXT NOT NULL DEFAULT '',
    middle_name     TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL DEFAULT '',
    profile         TEXT NOT NULL DEFAULT '{}',
    extension       TEXT NOT NULL DEFAULT '{}',
    password_hash   TEXT NOT NULL DEFAULT '',
    pwd_must_modify BOOLEAN NOT NULL DEFAULT TRUE,
    pwd_changed_at  BIGINT NOT NULL DEFAULT 0,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    locked          BOOLEAN NOT NULL DEFAULT FALSE,
    grade           INTEGER NOT NULL DEFAULT 0,
    home_org_id     TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, home_org_id) REFERENCES organizations (tenant_id, id)
);
CREATE UNIQUE INDEX users_user_name_key_uq ON users (tenant_id, user_name_key);
CREATE UNIQUE INDEX users_mobile_key_uq ON users (tenant_id, mobile_key);
CREATE UNIQUE INDEX users_email_key_uq ON users (tenant_id, email_key);
CREATE UNIQUE INDEX users_employee_id_uq ON users (tenant_id, employee_id);
CREATE INDEX users_updated_at ON users (tenant_id, updated_at, id);

CREATE TABLE user_orgs (
    tenant_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    org_id        TEXT NOT NULL,
    relation_type INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id, org_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, org_id) REFERENCES organizations (tenant_id, id)
);
CREATE INDEX user_orgs_org ON user_orgs (tenant_id, org_id, user_id);

CREATE TABLE api_clients (
    tenant_id        TEXT NOT NULL REFERENCES tenants (id),
    client_id        TEXT NOT NULL,
    name             TEXT NOT NULL DEFAULT '',
    secret_hash      BYTEA NOT NULL,
    prev_secret_hash BYTEA,
    prev_valid_until BIGINT NOT NULL DEFAULT 0,
    permissions      TEXT NOT NULL DEFAULT '',
    application_id   TEXT,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, client_id)
);

CREATE TABLE mgmt_tokens (
    token_hash BYTEA PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    sealed     BYTEA NOT NULL,
    scope      TEXT NOT NULL,
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    FOREIGN KEY (tenant_id, client_id) REFERENCES api_clients (tenant_id, client_id) ON DELETE CASCADE
);
CREATE INDEX mgmt_tokens_client ON mgmt_tokens (tenant_id, client_id, expires_at);

CREATE TABLE audit_events (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    time        BIGINT NOT NULL,
    actor_type  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    source_ip   TEXT NOT NULL,
    user_agent  TEXT NOT NULL,
    result      TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_events_id_uq ON audit_events (tenant_id, id);
CREATE INDEX audit_events_tenant ON audit_events (tenant_id, seq);
CREATE INDEX audit_events_target ON audit_events (tenant_id, target_id, seq);

CREATE TABLE signing_keys (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    kid         TEXT NOT NULL,
    algorithm   TEXT NOT NULL,
    private_enc BYTEA NOT NULL,
    active      BOOLEAN NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, kid)
);
