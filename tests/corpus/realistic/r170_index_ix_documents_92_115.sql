-- revision: r170_index_ix_documents_92_115
-- parents: r169_merge
-- message: index documents_92 (status)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_documents_92_115 ON documents_92 (status);
-- +upgrade sqlite
CREATE INDEX ix_documents_92_115 ON documents_92 (status);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_documents_92_115;
-- +downgrade sqlite
DROP INDEX ix_documents_92_115;
