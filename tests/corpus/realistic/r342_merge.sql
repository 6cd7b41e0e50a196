-- revision: r342_merge
-- parents: r340_view_active_users_233, r341_view_active_events_55_234
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

