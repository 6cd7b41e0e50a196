-- revision: r293_merge
-- parents: r291_index_ix_documents_69_198, r292_trigger_touch_touched_at_199
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

