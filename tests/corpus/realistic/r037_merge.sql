-- revision: r037_merge
-- parents: r035_index_ix_documents_6_23, r036_index_ix_documents_6_24
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

