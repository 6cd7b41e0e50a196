-- revision: r210_add_members_54_note_143
-- parents: r209_merge
-- message: add members_54.note_143
-- +upgrade
ALTER TABLE members_54 ADD COLUMN note_143 TEXT;
-- +downgrade
ALTER TABLE members_54 DROP COLUMN note_143;
