-- revision: r006_add_documents_2_note_4
-- parents: r004_merge
-- message: add documents_2.note_4
-- +upgrade
ALTER TABLE documents_2 ADD COLUMN note_4 TEXT;
-- +downgrade
ALTER TABLE documents_2 DROP COLUMN note_4;
