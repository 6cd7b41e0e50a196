-- revision: r125_merge
-- parents: r123_index_ix_lookup_70_83, r124_index_ix_members_54_84
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

