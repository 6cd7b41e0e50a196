-- revision: r005_view_active_documents_2_3
-- parents: r004_merge
-- message: view active_documents_2_3
-- +upgrade
CREATE VIEW active_documents_2_3 AS
  SELECT id, name FROM documents_2 WHERE status = 'active';
-- +downgrade
DROP VIEW active_documents_2_3;
