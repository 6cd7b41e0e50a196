-- revision: r227_merge
-- parents: r224_view_active_projects_86_154, r225_index_ix_projects_74_155, r226_create_invoices_156
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

