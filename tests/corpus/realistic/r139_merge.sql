-- revision: r139_merge
-- parents: r137_view_active_projects_86_93, r138_add_orders_71_amount_94
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

