-- revision: r264_merge
-- parents: r261_create_documents_179, r263_view_active_members_142_181
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

