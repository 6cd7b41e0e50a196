-- revision: r017_merge
-- parents: r015_view_active_documents_2_10, r016_add_documents_6_note_11
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

