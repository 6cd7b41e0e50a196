-- revision: r253_require_events_60_slug_173
-- parents: r252_backfill_events_60_slug_173
-- message: events_60.slug_173 is required and unique
-- +upgrade postgresql
ALTER TABLE events_60 ALTER COLUMN slug_173 SET NOT NULL;
CREATE UNIQUE INDEX ux_events_60_slug_173 ON events_60 (slug_173);
-- +upgrade sqlite
CREATE UNIQUE INDEX ux_events_60_slug_173 ON events_60 (slug_173);
-- +downgrade postgresql
DROP INDEX ux_events_60_slug_173;
ALTER TABLE events_60 ALTER COLUMN slug_173 DROP NOT NULL;
-- +downgrade sqlite
DROP INDEX ux_events_60_slug_173;
