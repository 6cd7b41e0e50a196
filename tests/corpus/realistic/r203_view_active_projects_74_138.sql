-- revision: r203_view_active_projects_74_138
-- parents: r202_merge
-- message: view active_projects_74_138
-- +upgrade
CREATE VIEW active_projects_74_138 AS
  SELECT id, name FROM projects_74 WHERE status = 'active';
-- +downgrade
DROP VIEW active_projects_74_138;
