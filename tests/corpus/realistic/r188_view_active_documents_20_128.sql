-- revision: r188_view_active_documents_20_128
-- parents: r186_merge
-- message: view active_documents_20_128
-- +upgrade
CREATE VIEW active_documents_20_128 AS
  SELECT id, name FROM documents_20 WHERE status = 'active';
-- +downgrade
DROP VIEW active_documents_20_128;
