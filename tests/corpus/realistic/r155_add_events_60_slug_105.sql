-- revision: r155_add_events_60_slug_105
-- parents: r154_merge
-- message: add events_60.slug_105, filled by the next revision
-- +upgrade
ALTER TABLE events_60 ADD COLUMN slug_105 TEXT;
-- +downgrade
ALTER TABLE events_60 DROP COLUMN slug_105;
