-- revision: r084_index_ix_members_54_56
-- parents: r083_merge
-- message: index members_54 (created_at)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_members_54_56 ON members_54 (created_at);
-- +upgrade sqlite
CREATE INDEX ix_members_54_56 ON members_54 (created_at);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_members_54_56;
-- +downgrade sqlite
DROP INDEX ix_members_54_56;
