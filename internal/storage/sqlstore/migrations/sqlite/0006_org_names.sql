-- An organisation's name is unique among its siblings (roots included).
CREATE UNIQUE INDEX organizations_sibling_name_uq ON organizations (tenant_id, coalesce(parent_id, ''), name);
