-- revision: r326_view_active_events_60_223
-- parents: r324_merge
-- message: view active_events_60_223
-- +upgrade
CREATE VIEW active_events_60_223 AS
  SELECT id, name FROM events_60 WHERE status = 'active';
-- +downgrade
DROP VIEW active_events_60_223;
