-- revision: r025_merge
-- parents: r022_add_documents_2_note_15, r024_lookup_lookup_17
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

