-- revision: r284_add_documents_2_amount_194
-- parents: r283_merge
-- message: add documents_2.amount_194
-- +upgrade
ALTER TABLE documents_2 ADD COLUMN amount_194 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE documents_2 DROP COLUMN amount_194;
