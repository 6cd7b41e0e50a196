-- revision: r116_index_ix_events_60_78
-- parents: r115_merge
-- message: index events_60 (orders_50_id)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_events_60_78 ON events_60 (orders_50_id);
-- +upgrade sqlite
CREATE INDEX ix_events_60_78 ON events_60 (orders_50_id);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_events_60_78;
-- +downgrade sqlite
DROP INDEX ix_events_60_78;
