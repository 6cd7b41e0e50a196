-- revision: r123_index_ix_lookup_70_83
-- parents: r122_merge
-- message: index lookup_70 (label)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_lookup_70_83 ON lookup_70 (label);
-- +upgrade sqlite
CREATE INDEX ix_lookup_70_83 ON lookup_70 (label);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_lookup_70_83;
-- +downgrade sqlite
DROP INDEX ix_lookup_70_83;
