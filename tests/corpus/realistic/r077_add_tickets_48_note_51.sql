-- revision: r077_add_tickets_48_note_51
-- parents: r076_merge
-- message: add tickets_48.note_51
-- +upgrade
ALTER TABLE tickets_48 ADD COLUMN note_51 TEXT;
-- +downgrade
ALTER TABLE tickets_48 DROP COLUMN note_51;
