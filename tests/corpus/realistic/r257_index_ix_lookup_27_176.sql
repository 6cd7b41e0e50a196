-- revision: r257_index_ix_lookup_27_176
-- parents: r256_merge
-- message: index lookup_27 (label)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_lookup_27_176 ON lookup_27 (label);
-- +upgrade sqlite
CREATE INDEX ix_lookup_27_176 ON lookup_27 (label);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_lookup_27_176;
-- +downgrade sqlite
DROP INDEX ix_lookup_27_176;
