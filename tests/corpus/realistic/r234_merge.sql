-- revision: r234_merge
-- parents: r232_index_ix_tickets_48_160, r233_create_events_161
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

