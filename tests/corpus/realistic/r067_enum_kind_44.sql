-- revision: r067_enum_kind_44
-- parents: r064_merge
-- message: enum column tickets_18.kind_44
-- +upgrade postgresql
CREATE TYPE kind_44_t AS ENUM ('basic', 'premium');
ALTER TABLE tickets_18 ADD COLUMN kind_44 kind_44_t;
-- +upgrade sqlite
ALTER TABLE tickets_18 ADD COLUMN kind_44 TEXT CHECK (kind_44 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE tickets_18 DROP COLUMN kind_44;
DROP TYPE kind_44_t;
-- +downgrade sqlite
ALTER TABLE tickets_18 DROP COLUMN kind_44;
