-- revision: r359_merge
-- parents: r357_index_ix_events_161_245, r358_view_active_documents_20_246
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

