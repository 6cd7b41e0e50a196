-- revision: r126_index_ix_tickets_48_85
-- parents: r125_merge
-- message: index tickets_48 (users_id)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_tickets_48_85 ON tickets_48 (users_id);
-- +upgrade sqlite
CREATE INDEX ix_tickets_48_85 ON tickets_48 (users_id);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_tickets_48_85;
-- +downgrade sqlite
DROP INDEX ix_tickets_48_85;
