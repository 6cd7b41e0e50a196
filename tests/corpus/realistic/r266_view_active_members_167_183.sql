-- revision: r266_view_active_members_167_183
-- parents: r264_merge
-- message: view active_members_167_183
-- +upgrade
CREATE VIEW active_members_167_183 AS
  SELECT id, name FROM members_167 WHERE status = 'active';
-- +downgrade
DROP VIEW active_members_167_183;
