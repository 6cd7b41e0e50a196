-- revision: r338_view_active_projects_34_232
-- parents: r336_create_events_230
-- message: view active_projects_34_232
-- +upgrade
CREATE VIEW active_projects_34_232 AS
  SELECT id, name FROM projects_34 WHERE status = 'active';
-- +downgrade
DROP VIEW active_projects_34_232;
