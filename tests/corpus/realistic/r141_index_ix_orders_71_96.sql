-- revision: r141_index_ix_orders_71_96
-- parents: r139_merge
-- message: index orders_71 (name)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_orders_71_96 ON orders_71 (name);
-- +upgrade sqlite
CREATE INDEX ix_orders_71_96 ON orders_71 (name);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_orders_71_96;
-- +downgrade sqlite
DROP INDEX ix_orders_71_96;
