-- revision: r165_merge
-- parents: r162_add_lookup_27_amount_109, r163_add_lookup_70_note_110, r164_create_documents_111
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

