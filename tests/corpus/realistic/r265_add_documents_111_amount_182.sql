-- revision: r265_add_documents_111_amount_182
-- parents: r264_merge
-- message: add documents_111.amount_182
-- +upgrade
ALTER TABLE documents_111 ADD COLUMN amount_182 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE documents_111 DROP COLUMN amount_182;
