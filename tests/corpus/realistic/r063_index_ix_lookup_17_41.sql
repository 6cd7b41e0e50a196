-- revision: r063_index_ix_lookup_17_41
-- parents: r061_merge
-- message: index lookup_17 (code)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_lookup_17_41 ON lookup_17 (code);
-- +upgrade sqlite
CREATE INDEX ix_lookup_17_41 ON lookup_17 (code);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_lookup_17_41;
-- +downgrade sqlite
DROP INDEX ix_lookup_17_41;
