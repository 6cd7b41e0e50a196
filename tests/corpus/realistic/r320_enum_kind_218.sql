-- revision: r320_enum_kind_218
-- parents: r319_merge
-- message: enum column orders_209.kind_218
-- +upgrade postgresql
CREATE TYPE kind_218_t AS ENUM ('basic', 'premium');
ALTER TABLE orders_209 ADD COLUMN kind_218 kind_218_t;
-- +upgrade sqlite
ALTER TABLE orders_209 ADD COLUMN kind_218 TEXT CHECK (kind_218 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE orders_209 DROP COLUMN kind_218;
DROP TYPE kind_218_t;
-- +downgrade sqlite
ALTER TABLE orders_209 DROP COLUMN kind_218;
