-- revision: r118_index_ix_orders_71_80
-- parents: r116_index_ix_events_60_78
-- message: index orders_71 (created_at)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_orders_71_80 ON orders_71 (created_at);
-- +upgrade sqlite
CREATE INDEX ix_orders_71_80 ON orders_71 (created_at);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_orders_71_80;
-- +downgrade sqlite
DROP INDEX ix_orders_71_80;
