-- revision: r061_merge
-- parents: r059_add_projects_34_note_38, r060_index_ix_events_16_39
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

