-- revision: r088_add_orders_50_amount_59
-- parents: r087_index_ix_users_58
-- message: add orders_50.amount_59
-- +upgrade
ALTER TABLE orders_50 ADD COLUMN amount_59 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE orders_50 DROP COLUMN amount_59;
