-- revision: r360_add_documents_20_amount_247
-- parents: r359_merge
-- message: add documents_20.amount_247
-- +upgrade
ALTER TABLE documents_20 ADD COLUMN amount_247 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE documents_20 DROP COLUMN amount_247;
