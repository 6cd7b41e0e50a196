-- revision: r312_add_accounts_117_amount_212
-- parents: r311_merge
-- message: add accounts_117.amount_212
-- +upgrade
ALTER TABLE accounts_117 ADD COLUMN amount_212 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE accounts_117 DROP COLUMN amount_212;
