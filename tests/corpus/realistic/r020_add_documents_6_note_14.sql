-- revision: r020_add_documents_6_note_14
-- parents: r017_merge
-- message: add documents_6.note_14
-- +upgrade
ALTER TABLE documents_6 ADD COLUMN note_14 TEXT;
-- +downgrade
ALTER TABLE documents_6 DROP COLUMN note_14;
