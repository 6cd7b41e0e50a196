-- revision: r160_merge
-- parents: r158_enum_kind_106, r159_view_active_users_107
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

