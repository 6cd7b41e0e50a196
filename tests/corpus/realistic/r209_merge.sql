-- revision: r209_merge
-- parents: r207_add_orders_125_amount_141, r208_create_members_142
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

