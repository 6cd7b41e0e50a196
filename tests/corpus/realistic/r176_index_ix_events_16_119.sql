-- revision: r176_index_ix_events_16_119
-- parents: r175_merge
-- message: index events_16 (status)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_events_16_119 ON events_16 (status);
-- +upgrade sqlite
CREATE INDEX ix_events_16_119 ON events_16 (status);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_events_16_119;
-- +downgrade sqlite
DROP INDEX ix_events_16_119;
