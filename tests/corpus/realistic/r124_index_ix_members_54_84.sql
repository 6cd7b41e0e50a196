-- revision: r124_index_ix_members_54_84
-- parents: r122_merge
-- message: index members_54 (created_at)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_members_54_84 ON members_54 (created_at);
-- +upgrade sqlite
CREATE INDEX ix_members_54_84 ON members_54 (created_at);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_members_54_84;
-- +downgrade sqlite
DROP INDEX ix_members_54_84;
