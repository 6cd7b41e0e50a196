-- revision: r277_merge
-- parents: r275_create_documents_189, r276_index_ix_orders_65_190
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

