-- revision: r362_merge
-- parents: r360_add_documents_20_amount_247, r361_add_members_142_note_248
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

