-- revision: r032_add_users_slug_22
-- parents: r031_merge
-- message: add users.slug_22, filled by the next revision
-- +upgrade
ALTER TABLE users ADD COLUMN slug_22 TEXT;
-- +downgrade
ALTER TABLE users DROP COLUMN slug_22;
