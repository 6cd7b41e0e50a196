-- revision: r014_merge
-- parents: r012_view_active_documents_2_8, r013_add_documents_2_note_9
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

