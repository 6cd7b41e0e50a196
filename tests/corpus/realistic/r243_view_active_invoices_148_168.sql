-- revision: r243_view_active_invoices_148_168
-- parents: r241_merge
-- message: view active_invoices_148_168
-- +upgrade
CREATE VIEW active_invoices_148_168 AS
  SELECT id, name FROM invoices_148 WHERE status = 'active';
-- +downgrade
DROP VIEW active_invoices_148_168;
