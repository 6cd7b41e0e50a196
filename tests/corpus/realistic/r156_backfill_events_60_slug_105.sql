-- revision: r156_backfill_events_60_slug_105
-- parents: r155_add_events_60_slug_105
-- message: backfill events_60.slug_105
-- downgrade: no-op
-- +upgrade
UPDATE events_60 SET slug_105 = lower(name) || '-' || id WHERE slug_105 IS NULL;
