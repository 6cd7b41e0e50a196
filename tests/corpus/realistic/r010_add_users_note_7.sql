-- revision: r010_add_users_note_7
-- parents: r008_add_users_note_5
-- message: add users.note_7
-- +upgrade
ALTER TABLE users ADD COLUMN note_7 TEXT;
-- +downgrade
ALTER TABLE users DROP COLUMN note_7;
