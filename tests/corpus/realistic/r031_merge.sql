-- revision: r031_merge
-- parents: r029_create_documents_20, r030_add_documents_6_amount_21
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

