-- revision: r287_merge
-- parents: r285_create_events_195, r286_index_ix_members_91_196
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

