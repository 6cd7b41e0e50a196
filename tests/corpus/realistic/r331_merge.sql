-- revision: r331_merge
-- parents: r329_trigger_touch_touched_at_225, r330_index_ix_orders_65_226
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

