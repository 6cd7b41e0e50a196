-- revision: r038_view_active_users_25
-- parents: r037_merge
-- message: view active_users_25
-- +upgrade
CREATE VIEW active_users_25 AS
  SELECT id, name FROM users WHERE status = 'active';
-- +downgrade
DROP VIEW active_users_25;
