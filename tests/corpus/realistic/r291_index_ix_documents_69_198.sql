-- revision: r291_index_ix_documents_69_198
-- parents: r290_require_invoices_156_slug_197
-- message: index documents_69 (name)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_documents_69_198 ON documents_69 (name);
-- +upgrade sqlite
CREATE INDEX ix_documents_69_198 ON documents_69 (name);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_documents_69_198;
-- +downgrade sqlite
DROP INDEX ix_documents_69_198;
