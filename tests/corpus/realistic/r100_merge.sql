-- revision: r100_merge
-- parents: r097_create_orders_65, r098_view_active_events_16_66, r099_enum_kind_67
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

