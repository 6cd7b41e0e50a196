-- revision: r269_add_invoices_156_amount_185
-- parents: r267_merge
-- message: add invoices_156.amount_185
-- +upgrade
ALTER TABLE invoices_156 ADD COLUMN amount_185 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE invoices_156 DROP COLUMN amount_185;
