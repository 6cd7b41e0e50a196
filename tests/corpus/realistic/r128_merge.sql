-- revision: r128_merge
-- parents: r126_index_ix_tickets_48_85, r127_create_projects_86
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

