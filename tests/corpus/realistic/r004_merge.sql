-- revision: r004_merge
-- parents: r002_enum_kind_1, r003_create_documents_2
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

