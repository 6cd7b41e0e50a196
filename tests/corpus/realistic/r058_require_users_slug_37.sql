-- revision: r058_require_users_slug_37
-- parents: r057_backfill_users_slug_37
-- message: users.slug_37 is required and unique
-- +upgrade postgresql
ALTER TABLE users ALTER COLUMN slug_37 SET NOT NULL;
CREATE UNIQUE INDEX ux_users_slug_37 ON users (slug_37);
-- +upgrade sqlite
CREATE UNIQUE INDEX ux_users_slug_37 ON users (slug_37);
-- +downgrade postgresql
DROP INDEX ux_users_slug_37;
ALTER TABLE users ALTER COLUMN slug_37 DROP NOT NULL;
-- +downgrade sqlite
DROP INDEX ux_users_slug_37;
