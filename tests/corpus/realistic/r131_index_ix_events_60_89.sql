-- revision: r131_index_ix_events_60_89
-- parents: r128_merge
-- message: index events_60 (name)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_events_60_89 ON events_60 (name);
-- +upgrade sqlite
CREATE INDEX ix_events_60_89 ON events_60 (name);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_events_60_89;
-- +downgrade sqlite
DROP INDEX ix_events_60_89;
