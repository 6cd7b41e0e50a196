-- revision: r117_add_projects_73_amount_79
-- parents: r116_index_ix_events_60_78
-- message: add projects_73.amount_79
-- +upgrade
ALTER TABLE projects_73 ADD COLUMN amount_79 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE projects_73 DROP COLUMN amount_79;
