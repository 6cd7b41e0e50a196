-- revision: r309_index_ix_documents_92_210
-- parents: r308_merge
-- message: index documents_92 (created_at)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_documents_92_210 ON documents_92 (created_at);
-- +upgrade sqlite
CREATE INDEX ix_documents_92_210 ON documents_92 (created_at);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_documents_92_210;
-- +downgrade sqlite
DROP INDEX ix_documents_92_210;
