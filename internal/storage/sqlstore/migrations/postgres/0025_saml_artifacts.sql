-- SAML responses waiting for their service provider to resolve the
-- artifact the browser brought it (HTTP-Artifact binding): stored by the
-- hash of the artifact's message handle, sealed, single-use, for a minute.
CREATE TABLE saml_artifacts (
    handle_hash    BYTEA PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    application_id TEXT NOT NULL,
    sealed_message BYTEA NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX saml_artifacts_expiry ON saml_artifacts (expires_at);
