-- revision: r114_add_documents_69_amount_77
-- parents: r112_merge
-- message: add documents_69.amount_77
-- +upgrade
ALTER TABLE documents_69 ADD COLUMN amount_77 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE documents_69 DROP COLUMN amount_77;
