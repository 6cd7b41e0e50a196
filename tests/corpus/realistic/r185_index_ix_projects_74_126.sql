-- revision: r185_index_ix_projects_74_126
-- parents: r183_merge
-- message: index projects_74 (name)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_projects_74_126 ON projects_74 (name);
-- +upgrade sqlite
CREATE INDEX ix_projects_74_126 ON projects_74 (name);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_projects_74_126;
-- +downgrade sqlite
DROP INDEX ix_projects_74_126;
