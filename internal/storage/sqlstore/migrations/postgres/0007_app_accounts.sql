-- What users are inside applications: application accounts, application
-- roles and their members, and each application's own organisation tree
-- (ONEACCESS-API.md 2.11, 2.12, 3.2-3.4).

CREATE TABLE app_orgs (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    application_id TEXT NOT NULL,
    code           TEXT NOT NULL,
    name           TEXT NOT NULL,
    parent_id      TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, parent_id) REFERENCES app_orgs (tenant_id, id)
);
CREATE UNIQUE INDEX app_orgs_code_uq ON app_orgs (tenant_id, application_id, code);
CREATE INDEX app_orgs_parent ON app_orgs (tenant_id, application_id, parent_id);

CREATE TABLE app_accounts (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    application_id TEXT NOT NULL,
    user_id        TEXT,
    account_name   TEXT NOT NULL,
    account_type   TEXT NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    password_enc   BYTEA,
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    app_org_id     TEXT,
    extension      TEXT NOT NULL DEFAULT '{}',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, app_org_id) REFERENCES app_orgs (tenant_id, id)
);
CREATE UNIQUE INDEX app_accounts_name_uq ON app_accounts (tenant_id, application_id, account_name);
CREATE UNIQUE INDEX app_accounts_user_uq ON app_accounts (tenant_id, application_id, user_id);
CREATE INDEX app_accounts_user ON app_accounts (tenant_id, user_id);

CREATE TABLE app_roles (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    application_id TEXT NOT NULL,
    code           TEXT NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX app_roles_code_uq ON app_roles (tenant_id, application_id, code);

CREATE TABLE app_role_members (
    tenant_id  TEXT NOT NULL,
    role_id    TEXT NOT NULL,
    account_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, role_id, account_id),
    FOREIGN KEY (tenant_id, role_id) REFERENCES app_roles (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, account_id) REFERENCES app_accounts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX app_role_members_account ON app_role_members (tenant_id, account_id);
