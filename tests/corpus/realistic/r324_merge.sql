-- revision: r324_merge
-- parents: r321_index_ix_invoices_129_219, r323_create_documents_221
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

