-- revision: r115_merge
-- parents: r113_enum_kind_76, r114_add_documents_69_amount_77
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

