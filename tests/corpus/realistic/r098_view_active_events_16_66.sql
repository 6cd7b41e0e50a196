-- revision: r098_view_active_events_16_66
-- parents: r096_merge
-- message: view active_events_16_66
-- +upgrade
CREATE VIEW active_events_16_66 AS
  SELECT id, name FROM events_16 WHERE status = 'active';
-- +downgrade
DROP VIEW active_events_16_66;
