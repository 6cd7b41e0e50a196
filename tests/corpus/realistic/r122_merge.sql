-- revision: r122_merge
-- parents: r120_view_active_documents_69_81, r121_add_projects_34_amount_82
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

