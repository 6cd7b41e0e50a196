-- revision: r225_index_ix_projects_74_155
-- parents: r223_merge
-- message: index projects_74 (status)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_projects_74_155 ON projects_74 (status);
-- +upgrade sqlite
CREATE INDEX ix_projects_74_155 ON projects_74 (status);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_projects_74_155;
-- +downgrade sqlite
DROP INDEX ix_projects_74_155;
