-- revision: r103_merge
-- parents: r101_enum_kind_68, r102_create_documents_69
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

