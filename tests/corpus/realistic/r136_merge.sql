-- revision: r136_merge
-- parents: r133_trigger_touch_touched_at_90, r134_create_members_91, r135_create_documents_92
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

