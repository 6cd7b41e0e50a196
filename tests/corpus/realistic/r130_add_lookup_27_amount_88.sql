-- revision: r130_add_lookup_27_amount_88
-- parents: r129_enum_kind_87
-- message: add lookup_27.amount_88
-- +upgrade
ALTER TABLE lookup_27 ADD COLUMN amount_88 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE lookup_27 DROP COLUMN amount_88;
