-- revision: r171_add_tickets_48_note_116
-- parents: r169_merge
-- message: add tickets_48.note_116
-- +upgrade
ALTER TABLE tickets_48 ADD COLUMN note_116 TEXT;
-- +downgrade
ALTER TABLE tickets_48 DROP COLUMN note_116;
