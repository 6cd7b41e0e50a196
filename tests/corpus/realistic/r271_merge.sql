-- revision: r271_merge
-- parents: r268_add_accounts_134_note_184, r269_add_invoices_156_amount_185, r270_create_accounts_186
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

