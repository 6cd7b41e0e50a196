-- revision: r055_merge
-- parents: r053_add_documents_20_amount_35, r054_add_tickets_18_amount_36
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

