-- revision: r181_view_active_tickets_18_123
-- parents: r180_merge
-- message: view active_tickets_18_123
-- +upgrade
CREATE VIEW active_tickets_18_123 AS
  SELECT id, name FROM tickets_18 WHERE status = 'active';
-- +downgrade
DROP VIEW active_tickets_18_123;
