-- revision: r228_index_ix_projects_86_157
-- parents: r227_merge
-- message: index projects_86 (name)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_projects_86_157 ON projects_86 (name);
-- +upgrade sqlite
CREATE INDEX ix_projects_86_157 ON projects_86 (name);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_projects_86_157;
-- +downgrade sqlite
DROP INDEX ix_projects_86_157;
