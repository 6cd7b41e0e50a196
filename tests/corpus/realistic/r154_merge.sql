-- revision: r154_merge
-- parents: r152_add_invoices_30_note_103, r153_index_ix_documents_2_104
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

