-- revision: r096_merge
-- parents: r094_add_documents_2_note_63, r095_add_lookup_17_note_64
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

