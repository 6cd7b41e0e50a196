-- revision: r080_merge
-- parents: r077_add_tickets_48_note_51, r078_add_tickets_46_note_52, r079_add_events_16_note_53
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

