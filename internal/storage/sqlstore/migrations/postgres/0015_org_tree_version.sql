-- A tenant's organisation tree changes this counter in the same
-- transaction as every organisation write, so a node may cache a walk of
-- the tree and know, with one lookup, when it is stale.
ALTER TABLE tenants ADD COLUMN org_tree_version BIGINT NOT NULL DEFAULT 0;
