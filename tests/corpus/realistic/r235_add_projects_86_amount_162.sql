-- revision: r235_add_projects_86_amount_162
-- parents: r234_merge
-- message: add projects_86.amount_162
-- +upgrade
ALTER TABLE projects_86 ADD COLUMN amount_162 INTEGER NOT NULL DEFAULT 0;
-- +downgrade
ALTER TABLE projects_86 DROP COLUMN amount_162;
