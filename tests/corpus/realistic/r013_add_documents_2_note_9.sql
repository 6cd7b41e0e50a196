-- revision: r013_add_documents_2_note_9
-- parents: r011_merge
-- message: add documents_2.note_9
-- +upgrade
ALTER TABLE documents_2 ADD COLUMN note_9 TEXT;
-- +downgrade
ALTER TABLE documents_2 DROP COLUMN note_9;
