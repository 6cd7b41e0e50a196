-- revision: r263_view_active_members_142_181
-- parents: r262_add_events_161_amount_180
-- message: view active_members_142_181
-- +upgrade
CREATE VIEW active_members_142_181 AS
  SELECT id, name FROM members_142 WHERE status = 'active';
-- +downgrade
DROP VIEW active_members_142_181;
