-- revision: r327_merge
-- parents: r325_enum_kind_222, r326_view_active_events_60_223
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

