-- revision: r157_require_events_60_slug_105
-- parents: r156_backfill_events_60_slug_105
-- message: events_60.slug_105 is required and unique
-- +upgrade postgresql
ALTER TABLE events_60 ALTER COLUMN slug_105 SET NOT NULL;
CREATE UNIQUE INDEX ux_events_60_slug_105 ON events_60 (slug_105);
-- +upgrade sqlite
CREATE UNIQUE INDEX ux_events_60_slug_105 ON events_60 (slug_105);
-- +downgrade postgresql
DROP INDEX ux_events_60_slug_105;
ALTER TABLE events_60 ALTER COLUMN slug_105 DROP NOT NULL;
-- +downgrade sqlite
DROP INDEX ux_events_60_slug_105;
