-- revision: r350_enum_kind_240
-- parents: r348_merge
-- message: enum column members_54.kind_240
-- +upgrade postgresql
CREATE TYPE kind_240_t AS ENUM ('basic', 'premium');
ALTER TABLE members_54 ADD COLUMN kind_240 kind_240_t;
-- +upgrade sqlite
ALTER TABLE members_54 ADD COLUMN kind_240 TEXT CHECK (kind_240 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE members_54 DROP COLUMN kind_240;
DROP TYPE kind_240_t;
-- +downgrade sqlite
ALTER TABLE members_54 DROP COLUMN kind_240;
