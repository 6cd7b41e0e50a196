-- revision: r022_add_documents_2_note_15
-- parents: r021_merge
-- message: add documents_2.note_15
-- +upgrade
ALTER TABLE documents_2 ADD COLUMN note_15 TEXT;
-- +downgrade
ALTER TABLE documents_2 DROP COLUMN note_15;
