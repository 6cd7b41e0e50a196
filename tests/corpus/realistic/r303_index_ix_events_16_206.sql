-- revision: r303_index_ix_events_16_206
-- parents: r302_merge
-- message: index events_16 (note_53)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_events_16_206 ON events_16 (note_53);
-- +upgrade sqlite
CREATE INDEX ix_events_16_206 ON events_16 (note_53);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_events_16_206;
-- +downgrade sqlite
DROP INDEX ix_events_16_206;
