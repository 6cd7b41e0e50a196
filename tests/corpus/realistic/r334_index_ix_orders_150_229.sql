-- revision: r334_index_ix_orders_150_229
-- parents: r331_merge
-- message: index orders_150 (name)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_orders_150_229 ON orders_150 (name);
-- +upgrade sqlite
CREATE INDEX ix_orders_150_229 ON orders_150 (name);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_orders_150_229;
-- +downgrade sqlite
DROP INDEX ix_orders_150_229;
