-- revision: r236_view_active_invoices_129_163
-- parents: r234_merge
-- message: view active_invoices_129_163
-- +upgrade
CREATE VIEW active_invoices_129_163 AS
  SELECT id, name FROM invoices_129 WHERE status = 'active';
-- +downgrade
DROP VIEW active_invoices_129_163;
