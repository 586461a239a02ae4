-- Roles given to application organisations: every account of the
-- organisation, or of an organisation below it, has the role.
CREATE TABLE app_role_orgs (
    tenant_id  TEXT NOT NULL,
    role_id    TEXT NOT NULL,
    app_org_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, role_id, app_org_id),
    FOREIGN KEY (tenant_id, role_id) REFERENCES app_roles (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, app_org_id) REFERENCES app_orgs (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX app_role_orgs_org ON app_role_orgs (tenant_id, app_org_id);
