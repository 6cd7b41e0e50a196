-- revision: r296_merge
-- parents: r294_trigger_touch_touched_at_200, r295_create_projects_201
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

