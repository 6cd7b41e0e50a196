-- revision: r011_merge
-- parents: r009_create_documents_6, r010_add_users_note_7
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

