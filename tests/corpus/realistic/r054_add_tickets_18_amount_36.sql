-- revision: r054_add_tickets_18_amount_36
-- parents: r052_merge
-- message: add tickets_18.amount_36
-- +upgrade
ALTER TABLE tickets_18 ADD COLUMN amount_36 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE tickets_18 DROP COLUMN amount_36;
