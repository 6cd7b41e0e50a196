-- revision: r068_merge
-- parents: r065_trigger_touch_touched_at_42, r066_enum_kind_43, r067_enum_kind_44
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

