-- revision: r145_backfill_projects_73_slug_98
-- parents: r144_add_projects_73_slug_98
-- message: backfill projects_73.slug_98
-- downgrade: no-op
-- +upgrade
UPDATE projects_73 SET slug_98 = lower(name) || '-' || id WHERE slug_98 IS NULL;
