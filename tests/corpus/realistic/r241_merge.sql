-- revision: r241_merge
-- parents: r239_create_events_165, r240_add_orders_125_note_166
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

