-- revision: r248_add_orders_71_amount_171
-- parents: r247_merge
-- message: add orders_71.amount_171
-- +upgrade
ALTER TABLE orders_71 ADD COLUMN amount_171 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE orders_71 DROP COLUMN amount_171;
