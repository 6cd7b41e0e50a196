-- revision: r366_add_accounts_186_note_251
-- parents: r365_merge
-- message: add accounts_186.note_251
-- +upgrade
ALTER TABLE accounts_186 ADD COLUMN note_251 TEXT;
-- +downgrade
ALTER TABLE accounts_186 DROP COLUMN note_251;
