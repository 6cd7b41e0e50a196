-- revision: r060_index_ix_events_16_39
-- parents: r058_require_users_slug_37
-- message: index events_16 (status)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_events_16_39 ON events_16 (status);
-- +upgrade sqlite
CREATE INDEX ix_events_16_39 ON events_16 (status);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_events_16_39;
-- +downgrade sqlite
DROP INDEX ix_events_16_39;
