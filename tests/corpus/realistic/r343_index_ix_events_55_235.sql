-- revision: r343_index_ix_events_55_235
-- parents: r342_merge
-- message: index events_55 (status)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_events_55_235 ON events_55 (status);
-- +upgrade sqlite
CREATE INDEX ix_events_55_235 ON events_55 (status);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_events_55_235;
-- +downgrade sqlite
DROP INDEX ix_events_55_235;
