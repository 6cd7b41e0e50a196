-- revision: r232_index_ix_tickets_48_160
-- parents: r231_merge
-- message: index tickets_48 (kind_76)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_tickets_48_160 ON tickets_48 (kind_76);
-- +upgrade sqlite
CREATE INDEX ix_tickets_48_160 ON tickets_48 (kind_76);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_tickets_48_160;
-- +downgrade sqlite
DROP INDEX ix_tickets_48_160;
