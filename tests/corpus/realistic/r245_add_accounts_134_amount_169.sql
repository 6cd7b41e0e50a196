-- revision: r245_add_accounts_134_amount_169
-- parents: r244_merge
-- message: add accounts_134.amount_169
-- +upgrade
ALTER TABLE accounts_134 ADD COLUMN amount_169 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE accounts_134 DROP COLUMN amount_169;
