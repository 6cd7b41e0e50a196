-- revision: r191_add_orders_50_note_130
-- parents: r190_create_invoices_129
-- message: add orders_50.note_130
-- +upgrade
ALTER TABLE orders_50 ADD COLUMN note_130 TEXT;
-- +downgrade
ALTER TABLE orders_50 DROP COLUMN note_130;
