-- CAS tickets (service, proxy and proxy-granting), stored by hash.
-- Service and proxy tickets are single-use and short-lived.
CREATE TABLE cas_tickets (
    ticket_hash    BLOB PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    application_id TEXT NOT NULL,
    service        TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    sid            TEXT NOT NULL,
    auth_time      INTEGER NOT NULL,
    new_login      INTEGER NOT NULL DEFAULT 0,
    proxies        TEXT NOT NULL DEFAULT '',
    pgt_hash       BLOB,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cas_tickets_expiry ON cas_tickets (expires_at);
