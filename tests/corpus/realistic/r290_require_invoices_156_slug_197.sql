-- revision: r290_require_invoices_156_slug_197
-- parents: r289_backfill_invoices_156_slug_197
-- message: invoices_156.slug_197 is required and unique
-- +upgrade postgresql
ALTER TABLE invoices_156 ALTER COLUMN slug_197 SET NOT NULL;
CREATE UNIQUE INDEX ux_invoices_156_slug_197 ON invoices_156 (slug_197);
-- +upgrade sqlite
CREATE UNIQUE INDEX ux_invoices_156_slug_197 ON invoices_156 (slug_197);
-- +downgrade postgresql
DROP INDEX ux_invoices_156_slug_197;
ALTER TABLE invoices_156 ALTER COLUMN slug_197 DROP NOT NULL;
-- +downgrade sqlite
DROP INDEX ux_invoices_156_slug_197;
