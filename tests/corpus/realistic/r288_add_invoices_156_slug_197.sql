-- revision: r288_add_invoices_156_slug_197
-- parents: r287_merge
-- message: add invoices_156.slug_197, filled by the next revision
-- +upgrade
ALTER TABLE invoices_156 ADD COLUMN slug_197 TEXT;
-- +downgrade
ALTER TABLE invoices_156 DROP COLUMN slug_197;
