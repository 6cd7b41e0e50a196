-- revision: r079_add_events_16_note_53
-- parents: r076_merge
-- message: add events_16.note_53
-- +upgrade
ALTER TABLE events_16 ADD COLUMN note_53 TEXT;
-- +downgrade
ALTER TABLE events_16 DROP COLUMN note_53;
