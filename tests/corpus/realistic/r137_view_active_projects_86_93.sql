-- revision: r137_view_active_projects_86_93
-- parents: r136_merge
-- message: view active_projects_86_93
-- +upgrade
CREATE VIEW active_projects_86_93 AS
  SELECT id, name FROM projects_86 WHERE status = 'active';
-- +downgrade
DROP VIEW active_projects_86_93;
