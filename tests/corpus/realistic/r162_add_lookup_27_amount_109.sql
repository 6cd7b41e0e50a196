-- revision: r162_add_lookup_27_amount_109
-- parents: r161_add_documents_69_note_108
-- message: add lookup_27.amount_109
-- +upgrade
ALTER TABLE lookup_27 ADD COLUMN amount_109 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE lookup_27 DROP COLUMN amount_109;
