-- The application registry. An application's OAuth credential is the
-- api_clients row whose application_id is the application's id.
CREATE TABLE applications (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    id              TEXT NOT NULL,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    logo_url        TEXT NOT NULL DEFAULT '',
    home_url        TEXT NOT NULL DEFAULT '',
    protocol        TEXT NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0,
    settings        TEXT NOT NULL DEFAULT '{}',
    api_permissions TEXT NOT NULL DEFAULT '',
    client_id       TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX applications_name_uq ON applications (tenant_id, name);
CREATE UNIQUE INDEX applications_client_id_uq ON applications (tenant_id, client_id);
