-- revision: r053_add_documents_20_amount_35
-- parents: r052_merge
-- message: add documents_20.amount_35
-- +upgrade
ALTER TABLE documents_20 ADD COLUMN amount_35 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE documents_20 DROP COLUMN amount_35;
