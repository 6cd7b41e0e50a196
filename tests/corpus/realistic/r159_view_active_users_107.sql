-- revision: r159_view_active_users_107
-- parents: r157_require_events_60_slug_105
-- message: view active_users_107
-- +upgrade
CREATE VIEW active_users_107 AS
  SELECT id, name FROM users WHERE status = 'active';
-- +downgrade
DROP VIEW active_users_107;
