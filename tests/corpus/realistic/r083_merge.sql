-- revision: r083_merge
-- parents: r081_create_members_54, r082_create_events_55
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

