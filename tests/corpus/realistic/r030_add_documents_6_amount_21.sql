-- revision: r030_add_documents_6_amount_21
-- parents: r028_merge
-- message: add documents_6.amount_21
-- +upgrade
ALTER TABLE documents_6 ADD COLUMN amount_21 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE documents_6 DROP COLUMN amount_21;
