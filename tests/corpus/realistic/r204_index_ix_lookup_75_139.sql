-- revision: r204_index_ix_lookup_75_139
-- parents: r202_merge
-- message: index lookup_75 (code)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_lookup_75_139 ON lookup_75 (code);
-- +upgrade sqlite
CREATE INDEX ix_lookup_75_139 ON lookup_75 (code);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_lookup_75_139;
-- +downgrade sqlite
DROP INDEX ix_lookup_75_139;
