-- revision: r062_index_ix_events_16_40
-- parents: r061_merge
-- message: index events_16 (status)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_events_16_40 ON events_16 (status);
-- +upgrade sqlite
CREATE INDEX ix_events_16_40 ON events_16 (status);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_events_16_40;
-- +downgrade sqlite
DROP INDEX ix_events_16_40;
