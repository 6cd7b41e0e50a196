-- revision: r045_merge
-- parents: r043_enum_value_kind_28, r044_trigger_touch_touched_at_29
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

