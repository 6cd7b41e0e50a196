-- revision: r207_add_orders_125_amount_141
-- parents: r206_merge
-- message: add orders_125.amount_141
-- +upgrade
ALTER TABLE orders_125 ADD COLUMN amount_141 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE orders_125 DROP COLUMN amount_141;
