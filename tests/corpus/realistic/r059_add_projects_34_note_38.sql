-- revision: r059_add_projects_34_note_38
-- parents: r058_require_users_slug_37
-- message: add projects_34.note_38
-- +upgrade
ALTER TABLE projects_34 ADD COLUMN note_38 TEXT;
-- +downgrade
ALTER TABLE projects_34 DROP COLUMN note_38;
