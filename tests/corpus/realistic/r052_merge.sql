-- revision: r052_merge
-- parents: r049_trigger_touch_touched_at_32, r051_create_projects_34
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

