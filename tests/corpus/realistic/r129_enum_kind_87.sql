-- revision: r129_enum_kind_87
-- parents: r128_merge
-- message: enum column tickets_46.kind_87
-- +upgrade postgresql
CREATE TYPE kind_87_t AS ENUM ('basic', 'premium');
ALTER TABLE tickets_46 ADD COLUMN kind_87 kind_87_t;
-- +upgrade sqlite
ALTER TABLE tickets_46 ADD COLUMN kind_87 TEXT CHECK (kind_87 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE tickets_46 DROP COLUMN kind_87;
DROP TYPE kind_87_t;
-- +downgrade sqlite
ALTER TABLE tickets_46 DROP COLUMN kind_87;
