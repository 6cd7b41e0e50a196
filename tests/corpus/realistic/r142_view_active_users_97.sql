-- revision: r142_view_active_users_97
-- parents: r139_merge
-- message: view active_users_97
-- +upgrade
CREATE VIEW active_users_97 AS
  SELECT id, name FROM users WHERE status = 'active';
-- +downgrade
DROP VIEW active_users_97;
