-- revision: r238_merge
-- parents: r235_add_projects_86_amount_162, r236_view_active_invoices_129_163, r237_create_tickets_164
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

