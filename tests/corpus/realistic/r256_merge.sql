-- revision: r256_merge
-- parents: r254_lookup_lookup_174, r255_add_orders_150_amount_175
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

