-- revision: r153_index_ix_documents_2_104
-- parents: r150_add_members_54_amount_101
-- message: index documents_2 (note_57)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_documents_2_104 ON documents_2 (note_57);
-- +upgrade sqlite
CREATE INDEX ix_documents_2_104 ON documents_2 (note_57);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_documents_2_104;
-- +downgrade sqlite
DROP INDEX ix_documents_2_104;
