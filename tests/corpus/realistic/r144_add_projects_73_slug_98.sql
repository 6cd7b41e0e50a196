-- revision: r144_add_projects_73_slug_98
-- parents: r143_merge
-- message: add projects_73.slug_98, filled by the next revision
-- +upgrade
ALTER TABLE projects_73 ADD COLUMN slug_98 TEXT;
-- +downgrade
ALTER TABLE projects_73 DROP COLUMN slug_98;
