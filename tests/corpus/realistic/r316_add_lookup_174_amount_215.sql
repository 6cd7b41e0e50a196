-- revision: r316_add_lookup_174_amount_215
-- parents: r315_merge
-- message: add lookup_174.amount_215
-- +upgrade
ALTER TABLE lookup_174 ADD COLUMN amount_215 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE lookup_174 DROP COLUMN amount_215;
