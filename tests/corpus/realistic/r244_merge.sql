-- revision: r244_merge
-- parents: r242_create_members_167, r243_view_active_invoices_148_168
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

