-- revision: r206_merge
-- parents: r203_view_active_projects_74_138, r204_index_ix_lookup_75_139, r205_enum_kind_140
-- message: merge 3 branches
-- downgrade: no-op
-- +upgrade

