-- revision: r224_view_active_projects_86_154
-- parents: r223_merge
-- message: view active_projects_86_154
-- +upgrade
CREATE VIEW active_projects_86_154 AS
  SELECT id, name FROM projects_86 WHERE status = 'active';
-- +downgrade
DROP VIEW active_projects_86_154;
