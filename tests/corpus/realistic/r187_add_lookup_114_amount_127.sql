-- revision: r187_add_lookup_114_amount_127
-- parents: r186_merge
-- message: add lookup_114.amount_127
-- +upgrade
ALTER TABLE lookup_114 ADD COLUMN amount_127 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE lookup_114 DROP COLUMN amount_127;
