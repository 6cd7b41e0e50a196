-- revision: r308_merge
-- parents: r306_add_accounts_121_amount_208, r307_create_orders_209
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

