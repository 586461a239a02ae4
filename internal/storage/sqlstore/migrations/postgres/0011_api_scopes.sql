-- API scopes: an application acting as an API (resource server) defines
-- scopes; each is unique in the tenant, and other applications' clients
-- may be allowed to request it.
CREATE TABLE app_api_scopes (
    tenant_id      TEXT NOT NULL,
    scope          TEXT NOT NULL,
    application_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, scope),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX app_api_scopes_app ON app_api_scopes (tenant_id, application_id);
