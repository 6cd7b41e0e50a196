-- revision: r066_enum_kind_43
-- parents: r064_merge
-- message: enum column events_16.kind_43
-- +upgrade postgresql
CREATE TYPE kind_43_t AS ENUM ('basic', 'premium');
ALTER TABLE events_16 ADD COLUMN kind_43 kind_43_t;
-- +upgrade sqlite
ALTER TABLE events_16 ADD COLUMN kind_43 TEXT CHECK (kind_43 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE events_16 DROP COLUMN kind_43;
DROP TYPE kind_43_t;
-- +downgrade sqlite
ALTER TABLE events_16 DROP COLUMN kind_43;
