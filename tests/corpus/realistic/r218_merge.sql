-- revision: r218_merge
-- parents: r215_index_ix_users_147, r217_trigger_touch_touched_at_149
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

