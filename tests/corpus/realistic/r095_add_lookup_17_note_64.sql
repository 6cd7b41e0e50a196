-- revision: r095_add_lookup_17_note_64
-- parents: r093_merge
-- message: add lookup_17.note_64
-- +upgrade
ALTER TABLE lookup_17 ADD COLUMN note_64 TEXT;
-- +downgrade
ALTER TABLE lookup_17 DROP COLUMN note_64;
