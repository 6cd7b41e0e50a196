-- revision: r300_add_events_161_amount_204
-- parents: r299_merge
-- message: add events_161.amount_204
-- +upgrade
ALTER TABLE events_161 ADD COLUMN amount_204 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE events_161 DROP COLUMN amount_204;
