-- revision: r050_add_tickets_18_amount_33
-- parents: r048_merge
-- message: add tickets_18.amount_33
-- +upgrade
ALTER TABLE tickets_18 ADD COLUMN amount_33 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE tickets_18 DROP COLUMN amount_33;
