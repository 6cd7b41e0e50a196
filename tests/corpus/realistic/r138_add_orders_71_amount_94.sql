-- revision: r138_add_orders_71_amount_94
-- parents: r136_merge
-- message: add orders_71.amount_94
-- +upgrade
ALTER TABLE orders_71 ADD COLUMN amount_94 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE orders_71 DROP COLUMN amount_94;
