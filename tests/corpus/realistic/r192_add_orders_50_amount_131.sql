-- revision: r192_add_orders_50_amount_131
-- parents: r189_merge
-- message: add orders_50.amount_131
-- +upgrade
ALTER TABLE orders_50 ADD COLUMN amount_131 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE orders_50 DROP COLUMN amount_131;
