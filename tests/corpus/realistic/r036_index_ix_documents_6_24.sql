-- revision: r036_index_ix_documents_6_24
-- parents: r034_require_users_slug_22
-- message: index documents_6 (name)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_documents_6_24 ON documents_6 (name);
-- +upgrade sqlite
CREATE INDEX ix_documents_6_24 ON documents_6 (name);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_documents_6_24;
-- +downgrade sqlite
DROP INDEX ix_documents_6_24;
