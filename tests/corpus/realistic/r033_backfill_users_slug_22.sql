-- revision: r033_backfill_users_slug_22
-- parents: r032_add_users_slug_22
-- message: backfill users.slug_22
-- downgrade: no-op
-- +upgrade
UPDATE users SET slug_22 = lower(name) || '-' || id WHERE slug_22 IS NULL;
