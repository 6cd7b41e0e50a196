-- revision: r289_backfill_invoices_156_slug_197
-- parents: r288_add_invoices_156_slug_197
-- message: backfill invoices_156.slug_197
-- downgrade: no-op
-- +upgrade
UPDATE invoices_156 SET slug_197 = lower(name) || '-' || id WHERE slug_197 IS NULL;
