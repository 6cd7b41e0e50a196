-- revision: r175_merge
-- parents: r173_create_accounts_117, r174_enum_kind_118
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

