-- Who may use an application, and which claims it gets.
ALTER TABLE applications ADD COLUMN access_policy TEXT NOT NULL DEFAULT 'all_users';
ALTER TABLE applications ADD COLUMN claim_mappings TEXT NOT NULL DEFAULT '[]';
