-- revision: r220_view_active_documents_92_151
-- parents: r219_create_orders_150
-- message: view active_documents_92_151
-- +upgrade
CREATE VIEW active_documents_92_151 AS
  SELECT id, name FROM documents_92 WHERE status = 'active';
-- +downgrade
DROP VIEW active_documents_92_151;
