-- revision: r008_add_users_note_5
-- parents: r007_merge
-- message: add users.note_5
-- +upgrade
ALTER TABLE users ADD COLUMN note_5 TEXT;
-- +downgrade
ALTER TABLE users DROP COLUMN note_5;
