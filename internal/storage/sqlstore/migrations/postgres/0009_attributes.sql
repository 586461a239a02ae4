-- Object models: custom attributes defined per tenant for users,
-- organisations and (per application) application accounts. Values live
-- in each entity's extension; unique ones are also indexed here so that
-- the database, not only the code, keeps them unique.
CREATE TABLE attribute_defs (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    id             TEXT NOT NULL,
    entity         TEXT NOT NULL,
    application_id TEXT NOT NULL DEFAULT '',
    name           TEXT NOT NULL,
    display_name   TEXT NOT NULL DEFAULT '',
    type           TEXT NOT NULL,
    required       BOOLEAN NOT NULL DEFAULT FALSE,
    uniq           BOOLEAN NOT NULL DEFAULT FALSE,
    rules          TEXT NOT NULL DEFAULT '{}',
    shown          BOOLEAN NOT NULL DEFAULT TRUE,
    editable       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX attribute_defs_name_uq ON attribute_defs (tenant_id, entity, application_id, name);

CREATE TABLE attribute_unique_values (
    tenant_id TEXT NOT NULL,
    def_id    TEXT NOT NULL,
    value_key TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, def_id, value_key),
    FOREIGN KEY (tenant_id, def_id) REFERENCES attribute_defs (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX attribute_unique_values_entity ON attribute_unique_values (tenant_id, entity_id);
