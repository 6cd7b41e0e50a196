-- revision: r112_merge
-- parents: r110_create_projects_74, r111_lookup_lookup_75
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

