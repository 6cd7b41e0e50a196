-- revision: r132_merge
-- parents: r130_add_lookup_27_amount_88, r131_index_ix_events_60_89
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

