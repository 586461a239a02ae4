-- Access by organisation (access_policy 'organizations': members of these
-- organisations and their subtrees, space-separated ids) and the rule that
-- names a user's new account in the application.
ALTER TABLE applications ADD COLUMN access_orgs TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN account_name_rule TEXT NOT NULL DEFAULT 'user_name';
