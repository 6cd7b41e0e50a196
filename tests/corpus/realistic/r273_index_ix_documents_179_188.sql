-- revision: r273_index_ix_documents_179_188
-- parents: r271_merge
-- message: index documents_179 (name)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_documents_179_188 ON documents_179 (name);
-- +upgrade sqlite
CREATE INDEX ix_documents_179_188 ON documents_179 (name);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_documents_179_188;
-- +downgrade sqlite
DROP INDEX ix_documents_179_188;
