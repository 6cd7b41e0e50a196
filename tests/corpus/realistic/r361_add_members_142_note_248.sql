-- revision: r361_add_members_142_note_248
-- parents: r359_merge
-- message: add members_142.note_248
-- +upgrade
ALTER TABLE members_142 ADD COLUMN note_248 TEXT;
-- +downgrade
ALTER TABLE members_142 DROP COLUMN note_248;
