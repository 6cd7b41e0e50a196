-- revision: r078_add_tickets_46_note_52
-- parents: r076_merge
-- message: add tickets_46.note_52
-- +upgrade
ALTER TABLE tickets_46 ADD COLUMN note_52 TEXT;
-- +downgrade
ALTER TABLE tickets_46 DROP COLUMN note_52;
