-- revision: r147_index_ix_documents_20_99
-- parents: r146_require_projects_73_slug_98
-- message: index documents_20 (touched_at_42)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_documents_20_99 ON documents_20 (touched_at_42);
-- +upgrade sqlite
CREATE INDEX ix_documents_20_99 ON documents_20 (touched_at_42);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_documents_20_99;
-- +downgrade sqlite
DROP INDEX ix_documents_20_99;
