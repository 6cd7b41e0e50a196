-- revision: r301_add_projects_86_amount_205
-- parents: r299_merge
-- message: add projects_86.amount_205
-- +upgrade
ALTER TABLE projects_86 ADD COLUMN amount_205 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE projects_86 DROP COLUMN amount_205;
