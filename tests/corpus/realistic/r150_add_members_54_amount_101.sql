-- revision: r150_add_members_54_amount_101
-- parents: r149_merge
-- message: add members_54.amount_101
-- +upgrade
ALTER TABLE members_54 ADD COLUMN amount_101 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE members_54 DROP COLUMN amount_101;
