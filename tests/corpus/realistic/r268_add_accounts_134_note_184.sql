-- revision: r268_add_accounts_134_note_184
-- parents: r267_merge
-- message: add accounts_134.note_184
-- +upgrade
ALTER TABLE accounts_134 ADD COLUMN note_184 TEXT;
-- +downgrade
ALTER TABLE accounts_134 DROP COLUMN note_184;
