-- revision: r076_merge
-- parents: r074_view_active_events_16_49, r075_create_orders_50
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

