-- revision: r119_merge
-- parents: r117_add_projects_73_amount_79, r118_index_ix_orders_71_80
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

