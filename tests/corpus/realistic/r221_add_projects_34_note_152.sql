-- revision: r221_add_projects_34_note_152
-- parents: r220_view_active_documents_92_151
-- message: add projects_34.note_152
-- +upgrade
ALTER TABLE projects_34 ADD COLUMN note_152 TEXT;
-- +downgrade
ALTER TABLE projects_34 DROP COLUMN note_152;
