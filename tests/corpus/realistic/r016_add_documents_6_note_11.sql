-- revision: r016_add_documents_6_note_11
-- parents: r014_merge
-- message: add documents_6.note_11
-- +upgrade
ALTER TABLE documents_6 ADD COLUMN note_11 TEXT;
-- +downgrade
ALTER TABLE documents_6 DROP COLUMN note_11;
