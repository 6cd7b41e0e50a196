-- revision: r337_view_active_accounts_134_231
-- parents: r336_create_events_230
-- message: view active_accounts_134_231
-- +upgrade
CREATE VIEW active_accounts_134_231 AS
  SELECT id, name FROM accounts_134 WHERE status = 'active';
-- +downgrade
DROP VIEW active_accounts_134_231;
