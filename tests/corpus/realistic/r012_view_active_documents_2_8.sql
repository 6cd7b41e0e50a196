-- revision: r012_view_active_documents_2_8
-- parents: r011_merge
-- message: view active_documents_2_8
-- +upgrade
CREATE VIEW active_documents_2_8 AS
  SELECT id, name FROM documents_2 WHERE status = 'active';
-- +downgrade
DROP VIEW active_documents_2_8;
