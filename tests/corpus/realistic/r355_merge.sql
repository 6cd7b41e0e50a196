-- revision: r355_merge
-- parents: r352_create_projects_241, r353_create_invoices_242, r354_create_invoices_243
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

