-- revision: r057_backfill_users_slug_37
-- parents: r056_add_users_slug_37
-- message: backfill users.slug_37
-- downgrade: no-op
-- +upgrade
UPDATE users SET slug_37 = lower(name) || '-' || id WHERE slug_37 IS NULL;
