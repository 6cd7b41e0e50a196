-- revision: r272_index_ix_tickets_48_187
-- parents: r271_merge
-- message: index tickets_48 (note_51)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_tickets_48_187 ON tickets_48 (note_51);
-- +upgrade sqlite
CREATE INDEX ix_tickets_48_187 ON tickets_48 (note_51);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_tickets_48_187;
-- +downgrade sqlite
DROP INDEX ix_tickets_48_187;
