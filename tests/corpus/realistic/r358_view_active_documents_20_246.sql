-- revision: r358_view_active_documents_20_246
-- parents: r355_merge
-- message: view active_documents_20_246
-- +upgrade
CREATE VIEW active_documents_20_246 AS
  SELECT id, name FROM documents_20 WHERE status = 'active';
-- +downgrade
DROP VIEW active_documents_20_246;
