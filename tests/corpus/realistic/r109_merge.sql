-- revision: r109_merge
-- parents: r107_trigger_touch_touched_at_72, r108_create_projects_73
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

