-- revision: r369_merge
-- parents: r366_add_accounts_186_note_251, r368_trigger_touch_touched_at_253
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

