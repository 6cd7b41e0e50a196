-- revision: r335_merge
-- parents: r332_index_ix_events_195_227, r333_add_users_note_228, r334_index_ix_orders_150_229
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

