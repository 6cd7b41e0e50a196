-- revision: r085_add_documents_2_note_57
-- parents: r083_merge
-- message: add documents_2.note_57
-- +upgrade
ALTER TABLE documents_2 ADD COLUMN note_57 TEXT;
-- +downgrade
ALTER TABLE documents_2 DROP COLUMN note_57;
