-- revision: r205_enum_kind_140
-- parents: r202_merge
-- message: enum column members_91.kind_140
-- +upgrade postgresql
CREATE TYPE kind_140_t AS ENUM ('basic', 'premium');
ALTER TABLE members_91 ADD COLUMN kind_140 kind_140_t;
-- +upgrade sqlite
ALTER TABLE members_91 ADD COLUMN kind_140 TEXT CHECK (kind_140 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE members_91 DROP COLUMN kind_140;
DROP TYPE kind_140_t;
-- +downgrade sqlite
ALTER TABLE members_91 DROP COLUMN kind_140;
