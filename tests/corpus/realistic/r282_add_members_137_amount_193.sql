-- revision: r282_add_members_137_amount_193
-- parents: r280_require_orders_125_slug_191
-- message: add members_137.amount_193
-- +upgrade
ALTER TABLE members_137 ADD COLUMN amount_193 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE members_137 DROP COLUMN amount_193;
