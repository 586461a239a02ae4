-- Access by rules (access_policy 'rules'): conditions on user attributes,
-- JSON owned by the apps service.
ALTER TABLE applications ADD COLUMN access_rules TEXT NOT NULL DEFAULT '[]';
