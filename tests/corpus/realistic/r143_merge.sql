-- revision: r143_merge
-- parents: r140_add_members_54_amount_95, r141_index_ix_orders_71_96, r142_view_active_users_97
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

