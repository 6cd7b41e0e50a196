-- revision: r344_add_documents_111_amount_236
-- parents: r342_merge
-- message: add documents_111.amount_236
-- +upgrade
ALTER TABLE documents_111 ADD COLUMN amount_236 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE documents_111 DROP COLUMN amount_236;
