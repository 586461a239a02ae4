-- An application's category (general information, shown in portals).
ALTER TABLE applications ADD COLUMN category TEXT NOT NULL DEFAULT '';
