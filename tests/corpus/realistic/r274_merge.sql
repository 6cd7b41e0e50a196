-- revision: r274_merge
-- parents: r272_index_ix_tickets_48_187, r273_index_ix_documents_179_188
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

