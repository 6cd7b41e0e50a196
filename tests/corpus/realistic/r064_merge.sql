-- revision: r064_merge
-- parents: r062_index_ix_events_16_40, r063_index_ix_lookup_17_41
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

