-- revision: r034_require_users_slug_22
-- parents: r033_backfill_users_slug_22
-- message: users.slug_22 is required and unique
-- +upgrade postgresql
ALTER TABLE users ALTER COLUMN slug_22 SET NOT NULL;
CREATE UNIQUE INDEX ux_users_slug_22 ON users (slug_22);
-- +upgrade sqlite
CREATE UNIQUE INDEX ux_users_slug_22 ON users (slug_22);
-- +downgrade postgresql
DROP INDEX ux_users_slug_22;
ALTER TABLE users ALTER COLUMN slug_22 DROP NOT NULL;
-- +downgrade sqlite
DROP INDEX ux_users_slug_22;
