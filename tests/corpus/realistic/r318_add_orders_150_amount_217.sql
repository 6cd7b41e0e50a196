-- revision: r318_add_orders_150_amount_217
-- parents: r315_merge
-- message: add orders_150.amount_217
-- +upgrade
ALTER TABLE orders_150 ADD COLUMN amount_217 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE orders_150 DROP COLUMN amount_217;
