-- revision: r255_add_orders_150_amount_175
-- parents: r253_require_events_60_slug_173
-- message: add orders_150.amount_175
-- +upgrade
ALTER TABLE orders_150 ADD COLUMN amount_175 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE orders_150 DROP COLUMN amount_175;
