-- revision: r189_merge
-- parents: r187_add_lookup_114_amount_127, r188_view_active_documents_20_128
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

