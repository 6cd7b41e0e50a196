-- revision: r213_add_events_60_note_146
-- parents: r212_enum_kind_145
-- message: add events_60.note_146
-- +upgrade
ALTER TABLE events_60 ADD COLUMN note_146 TEXT;
-- +downgrade
ALTER TABLE events_60 DROP COLUMN note_146;
