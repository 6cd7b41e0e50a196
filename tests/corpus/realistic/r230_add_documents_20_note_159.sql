-- revision: r230_add_documents_20_note_159
-- parents: r227_merge
-- message: add documents_20.note_159
-- +upgrade
ALTER TABLE documents_20 ADD COLUMN note_159 TEXT;
-- +downgrade
ALTER TABLE documents_20 DROP COLUMN note_159;
