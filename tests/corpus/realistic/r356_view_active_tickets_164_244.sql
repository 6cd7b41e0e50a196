-- revision: r356_view_active_tickets_164_244
-- parents: r355_merge
-- message: view active_tickets_164_244
-- +upgrade
CREATE VIEW active_tickets_164_244 AS
  SELECT id, name FROM tickets_164 WHERE status = 'active';
-- +downgrade
DROP VIEW active_tickets_164_244;
