-- revision: r319_merge
-- parents: r316_add_lookup_174_amount_215, r317_index_ix_members_54_216, r318_add_orders_150_amount_217
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

