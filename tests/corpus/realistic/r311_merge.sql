-- revision: r311_merge
-- parents: r309_index_ix_documents_92_210, r310_add_accounts_186_note_211
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

