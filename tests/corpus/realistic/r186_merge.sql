-- revision: r186_merge
-- parents: r184_create_orders_125, r185_index_ix_projects_74_126
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

