-- revision: r101_enum_kind_68
-- parents: r100_merge
-- message: enum column orders_65.kind_68
-- +upgrade postgresql
CREATE TYPE kind_68_t AS ENUM ('basic', 'premium');
ALTER TABLE orders_65 ADD COLUMN kind_68 kind_68_t;
-- +upgrade sqlite
ALTER TABLE orders_65 ADD COLUMN kind_68 TEXT CHECK (kind_68 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE orders_65 DROP COLUMN kind_68;
DROP TYPE kind_68_t;
-- +downgrade sqlite
ALTER TABLE orders_65 DROP COLUMN kind_68;
