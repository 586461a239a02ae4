-- CAS tickets (service, proxy and proxy-granting), stored by hash.
-- Service and proxy tickets are single-use and short-lived.
CREATE TABLE cas_tickets (
    ticket_hash    BYTEA PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    application_id TEXT NOT NULL,
    service        TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    sid            TEXT NOT NULL,
    auth_time      BIGINT NOT NULL,
    new_login      BOOLEAN NOT NULL DEFAULT FALSE,
    proxies        TEXT NOT NULL DEFAULT '',
    pgt_hash       BYTEA,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX cas_tickets_expiry ON cas_tickets (expires_at);
