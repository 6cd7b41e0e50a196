-- revision: r090_merge
-- parents: r088_add_orders_50_amount_59, r089_create_events_60
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

