-- revision: r121_add_projects_34_amount_82
-- parents: r119_merge
-- message: add projects_34.amount_82
-- +upgrade
ALTER TABLE projects_34 ADD COLUMN amount_82 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE projects_34 DROP COLUMN amount_82;
