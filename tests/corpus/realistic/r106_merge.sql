-- revision: r106_merge
-- parents: r104_lookup_lookup_70, r105_create_orders_71
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

