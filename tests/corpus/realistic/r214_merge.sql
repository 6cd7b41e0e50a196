-- revision: r214_merge
-- parents: r211_add_tickets_48_amount_144, r213_add_events_60_note_146
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

