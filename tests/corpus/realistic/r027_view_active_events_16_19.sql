-- revision: r027_view_active_events_16_19
-- parents: r025_merge
-- message: view active_events_16_19
-- +upgrade
CREATE VIEW active_events_16_19 AS
  SELECT id, name FROM events_16 WHERE status = 'active';
-- +downgrade
DROP VIEW active_events_16_19;
