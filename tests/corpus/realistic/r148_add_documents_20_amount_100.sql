-- revision: r148_add_documents_20_amount_100
-- parents: r146_require_projects_73_slug_98
-- message: add documents_20.amount_100
-- +upgrade
ALTER TABLE documents_20 ADD COLUMN amount_100 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE documents_20 DROP COLUMN amount_100;
