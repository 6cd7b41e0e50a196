-- revision: r039_add_tickets_18_amount_26
-- parents: r037_merge
-- message: add tickets_18.amount_26
-- +upgrade
ALTER TABLE tickets_18 ADD COLUMN amount_26 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE tickets_18 DROP COLUMN amount_26;
