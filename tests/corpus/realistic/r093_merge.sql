-- revision: r093_merge
-- parents: r091_index_ix_lookup_27_61, r092_trigger_touch_touched_at_62
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

