-- revision: r007_merge
-- parents: r005_view_active_documents_2_3, r006_add_documents_2_note_4
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

