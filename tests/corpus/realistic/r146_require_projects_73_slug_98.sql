-- revision: r146_require_projects_73_slug_98
-- parents: r145_backfill_projects_73_slug_98
-- message: projects_73.slug_98 is required and unique
-- +upgrade postgresql
ALTER TABLE projects_73 ALTER COLUMN slug_98 SET NOT NULL;
CREATE UNIQUE INDEX ux_projects_73_slug_98 ON projects_73 (slug_98);
-- +upgrade sqlite
CREATE UNIQUE INDEX ux_projects_73_slug_98 ON projects_73 (slug_98);
-- +downgrade postgresql
DROP INDEX ux_projects_73_slug_98;
ALTER TABLE projects_73 ALTER COLUMN slug_98 DROP NOT NULL;
-- +downgrade sqlite
DROP INDEX ux_projects_73_slug_98;
