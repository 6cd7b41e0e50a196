-- revision: r286_index_ix_members_91_196
-- parents: r284_add_documents_2_amount_194
-- message: index members_91 (events_55_id)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_members_91_196 ON members_91 (events_55_id);
-- +upgrade sqlite
CREATE INDEX ix_members_91_196 ON members_91 (events_55_id);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_members_91_196;
-- +downgrade sqlite
DROP INDEX ix_members_91_196;
