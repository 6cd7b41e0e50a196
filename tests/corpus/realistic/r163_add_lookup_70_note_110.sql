-- revision: r163_add_lookup_70_note_110
-- parents: r161_add_documents_69_note_108
-- message: add lookup_70.note_110
-- +upgrade
ALTER TABLE lookup_70 ADD COLUMN note_110 TEXT;
-- +downgrade
ALTER TABLE lookup_70 DROP COLUMN note_110;
