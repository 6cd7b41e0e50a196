-- revision: r074_view_active_events_16_49
-- parents: r073_create_tickets_48
-- message: view active_events_16_49
-- +upgrade
CREATE VIEW active_events_16_49 AS
  SELECT id, name FROM events_16 WHERE status = 'active';
-- +downgrade
DROP VIEW active_events_16_49;
