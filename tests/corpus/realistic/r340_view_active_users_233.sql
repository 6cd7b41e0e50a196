-- revision: r340_view_active_users_233
-- parents: r339_merge
-- message: view active_users_233
-- +upgrade
CREATE VIEW active_users_233 AS
  SELECT id, name FROM users WHERE status = 'active';
-- +downgrade
DROP VIEW active_users_233;
