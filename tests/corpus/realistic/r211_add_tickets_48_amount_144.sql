-- revision: r211_add_tickets_48_amount_144
-- parents: r210_add_members_54_note_143
-- message: add tickets_48.amount_144
-- +upgrade
ALTER TABLE tickets_48 ADD COLUMN amount_144 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE tickets_48 DROP COLUMN amount_144;
