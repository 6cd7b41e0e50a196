-- revision: r306_add_accounts_121_amount_208
-- parents: r305_merge
-- message: add accounts_121.amount_208
-- +upgrade
ALTER TABLE accounts_121 ADD COLUMN amount_208 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE accounts_121 DROP COLUMN amount_208;
