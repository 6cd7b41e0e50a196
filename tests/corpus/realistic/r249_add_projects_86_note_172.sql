-- revision: r249_add_projects_86_note_172
-- parents: r247_merge
-- message: add projects_86.note_172
-- +upgrade
ALTER TABLE projects_86 ADD COLUMN note_172 TEXT;
-- +downgrade
ALTER TABLE projects_86 DROP COLUMN note_172;
