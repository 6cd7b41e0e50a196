-- revision: r305_merge
-- parents: r303_index_ix_events_16_206, r304_create_orders_207
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

