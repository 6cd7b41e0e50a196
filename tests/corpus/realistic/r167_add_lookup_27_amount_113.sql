-- revision: r167_add_lookup_27_amount_113
-- parents: r165_merge
-- message: add lookup_27.amount_113
-- +upgrade
ALTER TABLE lookup_27 ADD COLUMN amount_113 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE lookup_27 DROP COLUMN amount_113;
