-- revision: r183_merge
-- parents: r181_view_active_tickets_18_123, r182_create_events_124
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

