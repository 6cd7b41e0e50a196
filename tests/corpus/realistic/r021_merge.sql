-- revision: r021_merge
-- parents: r018_add_documents_6_amount_12, r019_enum_kind_13, r020_add_documents_6_note_14
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

