-- revision: r199_merge
-- parents: r197_create_accounts_134, r198_add_accounts_121_note_135
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

