-- revision: r040_merge
-- parents: r038_view_active_users_25, r039_add_tickets_18_amount_26
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

