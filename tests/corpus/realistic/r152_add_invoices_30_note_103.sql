-- revision: r152_add_invoices_30_note_103
-- parents: r151_create_orders_102
-- message: add invoices_30.note_103
-- +upgrade
ALTER TABLE invoices_30 ADD COLUMN note_103 TEXT;
-- +downgrade
ALTER TABLE invoices_30 DROP COLUMN note_103;
