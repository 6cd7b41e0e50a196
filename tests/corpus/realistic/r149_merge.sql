-- revision: r149_merge
-- parents: r147_index_ix_documents_20_99, r148_add_documents_20_amount_100
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

