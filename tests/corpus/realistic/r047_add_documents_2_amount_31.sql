-- revision: r047_add_documents_2_amount_31
-- parents: r045_merge
-- message: add documents_2.amount_31
-- +upgrade
ALTER TABLE documents_2 ADD COLUMN amount_31 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE documents_2 DROP COLUMN amount_31;
