-- revision: r310_add_accounts_186_note_211
-- parents: r308_merge
-- message: add accounts_186.note_211
-- +upgrade
ALTER TABLE accounts_186 ADD COLUMN note_211 TEXT;
-- +downgrade
ALTER TABLE accounts_186 DROP COLUMN note_211;
