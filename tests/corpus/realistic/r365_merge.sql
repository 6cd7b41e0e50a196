-- revision: r365_merge
-- parents: r363_index_ix_documents_69_249, r364_index_ix_orders_102_250
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

