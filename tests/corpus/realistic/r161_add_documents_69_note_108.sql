-- revision: r161_add_documents_69_note_108
-- parents: r160_merge
-- message: add documents_69.note_108
-- +upgrade
ALTER TABLE documents_69 ADD COLUMN note_108 TEXT;
-- +downgrade
ALTER TABLE documents_69 DROP COLUMN note_108;
