-- revision: r174_enum_kind_118
-- parents: r172_merge
-- message: enum column lookup_70.kind_118
-- +upgrade postgresql
CREATE TYPE kind_118_t AS ENUM ('basic', 'premium');
ALTER TABLE lookup_70 ADD COLUMN kind_118 kind_118_t;
-- +upgrade sqlite
ALTER TABLE lookup_70 ADD COLUMN kind_118 TEXT CHECK (kind_118 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE lookup_70 DROP COLUMN kind_118;
DROP TYPE kind_118_t;
-- +downgrade sqlite
ALTER TABLE lookup_70 DROP COLUMN kind_118;
