-- revision: r276_index_ix_orders_65_190
-- parents: r274_merge
-- message: index orders_65 (tickets_18_id)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_orders_65_190 ON orders_65 (tickets_18_id);
-- +upgrade sqlite
CREATE INDEX ix_orders_65_190 ON orders_65 (tickets_18_id);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_orders_65_190;
-- +downgrade sqlite
DROP INDEX ix_orders_65_190;
