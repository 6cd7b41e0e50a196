-- revision: r267_merge
-- parents: r265_add_documents_111_amount_182, r266_view_active_members_167_183
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

