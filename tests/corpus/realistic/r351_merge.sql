-- revision: r351_merge
-- parents: r349_create_members_239, r350_enum_kind_240
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

