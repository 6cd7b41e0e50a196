-- revision: r341_view_active_events_55_234
-- parents: r339_merge
-- message: view active_events_55_234
-- +upgrade
CREATE VIEW active_events_55_234 AS
  SELECT id, name FROM events_55 WHERE status = 'active';
-- +downgrade
DROP VIEW active_events_55_234;
