-- revision: r251_add_events_60_slug_173
-- parents: r250_merge
-- message: add events_60.slug_173, filled by the next revision
-- +upgrade
ALTER TABLE events_60 ADD COLUMN slug_173 TEXT;
-- +downgrade
ALTER TABLE events_60 DROP COLUMN slug_173;
