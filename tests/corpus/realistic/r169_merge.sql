-- revision: r169_merge
-- parents: r166_create_orders_112, r167_add_lookup_27_amount_113, r168_lookup_lookup_114
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

