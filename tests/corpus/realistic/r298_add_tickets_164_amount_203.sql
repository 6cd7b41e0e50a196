-- revision: r298_add_tickets_164_amount_203
-- parents: r296_merge
-- message: add tickets_164.amount_203
-- +upgrade
ALTER TABLE tickets_164 ADD COLUMN amount_203 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE tickets_164 DROP COLUMN amount_203;
