-- revision: r262_add_events_161_amount_180
-- parents: r260_index_ix_accounts_117_178
-- message: add events_161.amount_180
-- +upgrade
ALTER TABLE events_161 ADD COLUMN amount_180 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE events_161 DROP COLUMN amount_180;
