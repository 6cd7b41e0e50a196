-- revision: r333_add_users_note_228
-- parents: r331_merge
-- message: add users.note_228
-- +upgrade
ALTER TABLE users ADD COLUMN note_228 TEXT;
-- +downgrade
ALTER TABLE users DROP COLUMN note_228;
