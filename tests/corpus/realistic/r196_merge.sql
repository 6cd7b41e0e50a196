-- revision: r196_merge
-- parents: r194_enum_kind_132, r195_trigger_touch_touched_at_133
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

