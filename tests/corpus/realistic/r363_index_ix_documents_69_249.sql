-- revision: r363_index_ix_documents_69_249
-- parents: r362_merge
-- message: index documents_69 (touched_at_158)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_documents_69_249 ON documents_69 (touched_at_158);
-- +upgrade sqlite
CREATE INDEX ix_documents_69_249 ON documents_69 (touched_at_158);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_documents_69_249;
-- +downgrade sqlite
DROP INDEX ix_documents_69_249;
