-- revision: r056_add_users_slug_37
-- parents: r055_merge
-- message: add users.slug_37, filled by the next revision
-- +upgrade
ALTER TABLE users ADD COLUMN slug_37 TEXT;
-- +downgrade
ALTER TABLE users DROP COLUMN slug_37;
