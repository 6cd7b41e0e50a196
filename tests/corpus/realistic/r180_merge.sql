-- revision: r180_merge
-- parents: r177_enum_kind_120, r179_trigger_touch_touched_at_122
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

