-- revision: r015_view_active_documents_2_10
-- parents: r014_merge
-- message: view active_documents_2_10
-- +upgrade
CREATE VIEW active_documents_2_10 AS
  SELECT id, name FROM documents_2 WHERE status = 'active';
-- +downgrade
DROP VIEW active_documents_2_10;
