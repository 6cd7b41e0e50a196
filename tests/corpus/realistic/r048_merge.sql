-- revision: r048_merge
-- parents: r046_create_invoices_30, r047_add_documents_2_amount_31
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

