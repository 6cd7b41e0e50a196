-- revision: r330_index_ix_orders_65_226
-- parents: r328_create_events_224
-- message: index orders_65 (created_at)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_orders_65_226 ON orders_65 (created_at);
-- +upgrade sqlite
CREATE INDEX ix_orders_65_226 ON orders_65 (created_at);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_orders_65_226;
-- +downgrade sqlite
DROP INDEX ix_orders_65_226;
