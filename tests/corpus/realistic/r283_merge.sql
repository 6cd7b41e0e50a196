-- revision: r283_merge
-- parents: r281_index_ix_lookup_17_192, r282_add_members_137_amount_193
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

