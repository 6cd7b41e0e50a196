-- revision: r339_merge
-- parents: r337_view_active_accounts_134_231, r338_view_active_projects_34_232
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

