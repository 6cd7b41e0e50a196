-- revision: r120_view_active_documents_69_81
-- parents: r119_merge
-- message: view active_documents_69_81
-- +upgrade
CREATE VIEW active_documents_69_81 AS
  SELECT id, name FROM documents_69 WHERE status = 'active';
-- +downgrade
DROP VIEW active_documents_69_81;
