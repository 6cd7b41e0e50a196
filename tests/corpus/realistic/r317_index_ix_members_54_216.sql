-- revision: r317_index_ix_members_54_216
-- parents: r315_merge
-- message: index members_54 (name)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_members_54_216 ON members_54 (name);
-- +upgrade sqlite
CREATE INDEX ix_members_54_216 ON members_54 (name);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_members_54_216;
-- +downgrade sqlite
DROP INDEX ix_members_54_216;
