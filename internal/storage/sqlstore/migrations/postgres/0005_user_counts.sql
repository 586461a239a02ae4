-- Exact user counts per tenant, so that listing users need not count a
-- million rows. Sixteen shards per tenant: concurrent creates update
-- different rows instead of queueing on one.
CREATE TABLE user_counts (
    tenant_id TEXT NOT NULL,
    shard     INTEGER NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, shard)
);
INSERT INTO user_counts (tenant_id, shard, n) SELECT tenant_id, 0, count(*) FROM users GROUP BY tenant_id;
