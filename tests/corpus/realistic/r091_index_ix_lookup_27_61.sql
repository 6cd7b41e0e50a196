-- revision: r091_index_ix_lookup_27_61
-- parents: r090_merge
-- message: index lookup_27 (code)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_lookup_27_61 ON lookup_27 (code);
-- +upgrade sqlite
CREATE INDEX ix_lookup_27_61 ON lookup_27 (code);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_lookup_27_61;
-- +downgrade sqlite
DROP INDEX ix_lookup_27_61;
