-- An application organisation may stand for one Gatehouse organisation:
-- a user's new account lands in the application organisation mapped to
-- the user's home organisation, or to the nearest organisation above it.
ALTER TABLE app_orgs ADD COLUMN mapped_org_id TEXT;
CREATE UNIQUE INDEX app_orgs_mapped_uq ON app_orgs (tenant_id, application_id, mapped_org_id) WHERE mapped_org_id IS NOT NULL;
