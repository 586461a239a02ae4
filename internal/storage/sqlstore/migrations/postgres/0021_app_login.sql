-- Per-application login settings (the API's "login" object): the first
-- factors allowed and whether a second factor is required. The defaults
-- keep every existing application as it was: password, no MFA.
ALTER TABLE applications ADD COLUMN login_methods TEXT NOT NULL DEFAULT 'password';
ALTER TABLE applications ADD COLUMN mfa TEXT NOT NULL DEFAULT 'off';
