-- revision: r202_merge
-- parents: r200_enum_kind_136, r201_create_members_137
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

