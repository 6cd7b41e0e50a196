-- revision: r028_merge
-- parents: r026_create_tickets_18, r027_view_active_events_16_19
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

