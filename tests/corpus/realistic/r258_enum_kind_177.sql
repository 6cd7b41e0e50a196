-- revision: r258_enum_kind_177
-- parents: r256_merge
-- message: enum column members_167.kind_177
-- +upgrade postgresql
CREATE TYPE kind_177_t AS ENUM ('basic', 'premium');
ALTER TABLE members_167 ADD COLUMN kind_177 kind_177_t;
-- +upgrade sqlite
ALTER TABLE members_167 ADD COLUMN kind_177 TEXT CHECK (kind_177 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE members_167 DROP COLUMN kind_177;
DROP TYPE kind_177_t;
-- +downgrade sqlite
ALTER TABLE members_167 DROP COLUMN kind_177;
