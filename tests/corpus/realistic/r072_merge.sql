-- revision: r072_merge
-- parents: r069_add_lookup_17_amount_45, r070_create_tickets_46, r071_index_ix_invoices_30_47
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

