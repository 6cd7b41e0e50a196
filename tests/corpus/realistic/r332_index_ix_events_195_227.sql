-- revision: r332_index_ix_events_195_227
-- parents: r331_merge
-- message: index events_195 (status)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_events_195_227 ON events_195 (status);
-- +upgrade sqlite
CREATE INDEX ix_events_195_227 ON events_195 (status);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_events_195_227;
-- +downgrade sqlite
DROP INDEX ix_events_195_227;
