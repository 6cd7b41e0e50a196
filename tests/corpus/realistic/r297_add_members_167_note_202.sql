-- revision: r297_add_members_167_note_202
-- parents: r296_merge
-- message: add members_167.note_202
-- +upgrade
ALTER TABLE members_167 ADD COLUMN note_202 TEXT;
-- +downgrade
ALTER TABLE members_167 DROP COLUMN note_202;
