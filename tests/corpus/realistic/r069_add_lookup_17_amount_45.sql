-- revision: r069_add_lookup_17_amount_45
-- parents: r068_merge
-- message: add lookup_17.amount_45
-- +upgrade
ALTER TABLE lookup_17 ADD COLUMN amount_45 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE lookup_17 DROP COLUMN amount_45;
