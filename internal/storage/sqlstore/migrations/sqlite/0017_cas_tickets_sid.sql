-- A session's tickets (proxy-granting tickets above all) end with it, on
-- every kind of logout: find them without scanning the table.
CREATE INDEX cas_tickets_sid ON cas_tickets (tenant_id, sid);
