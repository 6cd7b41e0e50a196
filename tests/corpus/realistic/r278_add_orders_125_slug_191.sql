-- revision: r278_add_orders_125_slug_191
-- parents: r277_merge
-- message: add orders_125.slug_191, filled by the next revision
-- +upgrade
ALTER TABLE orders_125 ADD COLUMN slug_191 TEXT;
-- +downgrade
ALTER TABLE orders_125 DROP COLUMN slug_191;
