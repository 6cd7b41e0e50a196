-- revision: r250_merge
-- parents: r248_add_orders_71_amount_171, r249_add_projects_86_note_172
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

