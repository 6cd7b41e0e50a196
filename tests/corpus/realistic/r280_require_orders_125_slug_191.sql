-- revision: r280_require_orders_125_slug_191
-- parents: r279_backfill_orders_125_slug_191
-- message: orders_125.slug_191 is required and unique
-- +upgrade postgresql
ALTER TABLE orders_125 ALTER COLUMN slug_191 SET NOT NULL;
CREATE UNIQUE INDEX ux_orders_125_slug_191 ON orders_125 (slug_191);
-- +upgrade sqlite
CREATE UNIQUE INDEX ux_orders_125_slug_191 ON orders_125 (slug_191);
-- +downgrade postgresql
DROP INDEX ux_orders_125_slug_191;
ALTER TABLE orders_125 ALTER COLUMN slug_191 DROP NOT NULL;
-- +downgrade sqlite
DROP INDEX ux_orders_125_slug_191;
