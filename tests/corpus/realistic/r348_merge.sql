-- revision: r348_merge
-- parents: r346_create_events_237, r347_add_members_91_amount_238
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

