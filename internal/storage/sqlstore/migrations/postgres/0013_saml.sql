-- SAML 2.0 identity provider.
--
-- saml_entity_ids: each saml application's service-provider entity id,
-- unique in the tenant (the AuthnRequest's Issuer finds its application).
CREATE TABLE saml_entity_ids (
    tenant_id      TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    application_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, entity_id),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX saml_entity_ids_app ON saml_entity_ids (tenant_id, application_id);

-- saml_sessions: the service providers each SSO session (by its sid)
-- signed in to, with the NameID and SessionIndex they were given, for
-- single logout. Rows end with their session.
CREATE TABLE saml_sessions (
    tenant_id      TEXT NOT NULL,
    sid            TEXT NOT NULL,
    application_id TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    name_id        TEXT NOT NULL,
    name_id_format TEXT NOT NULL,
    session_index  TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, sid, application_id)
);
CREATE UNIQUE INDEX saml_sessions_index ON saml_sessions (tenant_id, application_id, session_index);
CREATE INDEX saml_sessions_name_id ON saml_sessions (tenant_id, application_id, name_id);
CREATE INDEX saml_sessions_expiry ON saml_sessions (expires_at);
