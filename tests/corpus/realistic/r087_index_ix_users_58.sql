-- revision: r087_index_ix_users_58
-- parents: r086_merge
-- message: index users (slug_37)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_users_58 ON users (slug_37);
-- +upgrade sqlite
CREATE INDEX ix_users_58 ON users (slug_37);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_users_58;
-- +downgrade sqlite
DROP INDEX ix_users_58;
