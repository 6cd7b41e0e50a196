-- revision: r158_enum_kind_106
-- parents: r157_require_events_60_slug_105
-- message: enum column projects_74.kind_106
-- +upgrade postgresql
CREATE TYPE kind_106_t AS ENUM ('basic', 'premium');
ALTER TABLE projects_74 ADD COLUMN kind_106 kind_106_t;
-- +upgrade sqlite
ALTER TABLE projects_74 ADD COLUMN kind_106 TEXT CHECK (kind_106 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE projects_74 DROP COLUMN kind_106;
DROP TYPE kind_106_t;
-- +downgrade sqlite
ALTER TABLE projects_74 DROP COLUMN kind_106;
