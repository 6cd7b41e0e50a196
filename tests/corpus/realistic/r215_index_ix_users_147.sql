-- revision: r215_index_ix_users_147
-- parents: r214_merge
-- message: index users (kind_1)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_users_147 ON users (kind_1);
-- +upgrade sqlite
CREATE INDEX ix_users_147 ON users (kind_1);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_users_147;
-- +downgrade sqlite
DROP INDEX ix_users_147;
