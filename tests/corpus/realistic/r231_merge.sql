-- revision: r231_merge
-- parents: r229_trigger_touch_touched_at_158, r230_add_documents_20_note_159
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

