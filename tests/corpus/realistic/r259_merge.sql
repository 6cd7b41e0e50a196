-- revision: r259_merge
-- parents: r257_index_ix_lookup_27_176, r258_enum_kind_177
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

