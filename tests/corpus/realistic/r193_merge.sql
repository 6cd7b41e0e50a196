-- revision: r193_merge
-- parents: r191_add_orders_50_note_130, r192_add_orders_50_amount_131
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

