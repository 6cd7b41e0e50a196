-- revision: r364_index_ix_orders_102_250
-- parents: r362_merge
-- message: index orders_102 (status)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_orders_102_250 ON orders_102 (status);
-- +upgrade sqlite
CREATE INDEX ix_orders_102_250 ON orders_102 (status);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_orders_102_250;
-- +downgrade sqlite
DROP INDEX ix_orders_102_250;
