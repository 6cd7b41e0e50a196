-- revision: r247_merge
-- parents: r245_add_accounts_134_amount_169, r246_index_ix_tickets_46_170
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

