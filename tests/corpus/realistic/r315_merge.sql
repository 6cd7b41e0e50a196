-- revision: r315_merge
-- parents: r313_enum_kind_213, r314_add_orders_207_amount_214
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

