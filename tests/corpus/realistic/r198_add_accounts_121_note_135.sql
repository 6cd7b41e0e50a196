-- revision: r198_add_accounts_121_note_135
-- parents: r196_merge
-- message: add accounts_121.note_135
-- +upgrade
ALTER TABLE accounts_121 ADD COLUMN note_135 TEXT;
-- +downgrade
ALTER TABLE accounts_121 DROP COLUMN note_135;
