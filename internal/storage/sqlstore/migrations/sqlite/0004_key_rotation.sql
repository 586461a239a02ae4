-- Rotated-in signing keys are published before they sign (see storage.SigningKey).
ALTER TABLE signing_keys ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;
