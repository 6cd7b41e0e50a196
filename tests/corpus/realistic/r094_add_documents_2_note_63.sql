-- revision: r094_add_documents_2_note_63
-- parents: r093_merge
-- message: add documents_2.note_63
-- +upgrade
ALTER TABLE documents_2 ADD COLUMN note_63 TEXT;
-- +downgrade
ALTER TABLE documents_2 DROP COLUMN note_63;
