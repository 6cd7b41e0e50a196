-- revision: r279_backfill_orders_125_slug_191
-- parents: r278_add_orders_125_slug_191
-- message: backfill orders_125.slug_191
-- downgrade: no-op
-- +upgrade
UPDATE orders_125 SET slug_191 = lower(name) || '-' || id WHERE slug_191 IS NULL;
