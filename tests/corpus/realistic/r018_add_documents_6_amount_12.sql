-- revision: r018_add_documents_6_amount_12
-- parents: r017_merge
-- message: add documents_6.amount_12
-- +upgrade
ALTER TABLE documents_6 ADD COLUMN amount_12 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE documents_6 DROP COLUMN amount_12;
