-- revision: r240_add_orders_125_note_166
-- parents: r238_merge
-- message: add orders_125.note_166
-- +upgrade
ALTER TABLE orders_125 ADD COLUMN note_166 TEXT;
-- +downgrade
ALTER TABLE orders_125 DROP COLUMN note_166;
