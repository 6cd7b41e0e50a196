-- revision: r314_add_orders_207_amount_214
-- parents: r311_merge
-- message: add orders_207.amount_214
-- +upgrade
ALTER TABLE orders_207 ADD COLUMN amount_214 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE orders_207 DROP COLUMN amount_214;
