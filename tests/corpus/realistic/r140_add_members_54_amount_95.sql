-- revision: r140_add_members_54_amount_95
-- parents: r139_merge
-- message: add members_54.amount_95
-- +upgrade
ALTER TABLE members_54 ADD COLUMN amount_95 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE members_54 DROP COLUMN amount_95;
