-- revision: r302_merge
-- parents: r300_add_events_161_amount_204, r301_add_projects_86_amount_205
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

