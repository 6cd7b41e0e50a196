-- revision: r252_backfill_events_60_slug_173
-- parents: r251_add_events_60_slug_173
-- message: backfill events_60.slug_173
-- downgrade: no-op
-- +upgrade
UPDATE events_60 SET slug_173 = lower(name) || '-' || id WHERE slug_173 IS NULL;
