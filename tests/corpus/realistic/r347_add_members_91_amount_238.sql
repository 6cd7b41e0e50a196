-- revision: r347_add_members_91_amount_238
-- parents: r345_merge
-- message: add members_91.amount_238
-- +upgrade
ALTER TABLE members_91 ADD COLUMN amount_238 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE members_91 DROP COLUMN amount_238;
