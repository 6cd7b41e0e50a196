-- revision: r223_merge
-- parents: r221_add_projects_34_note_152, r222_enum_kind_153
-- message: merge 2 branches
-- downgrade: no-op
-- +upgrade

