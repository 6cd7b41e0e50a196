-- revision: r222_enum_kind_153
-- parents: r219_create_orders_150
-- message: enum column orders_125.kind_153
-- +upgrade postgresql
CREATE TYPE kind_153_t AS ENUM ('basic', 'premium');
ALTER TABLE orders_125 ADD COLUMN kind_153 kind_153_t;
-- +upgrade sqlite
ALTER TABLE orders_125 ADD COLUMN kind_153 TEXT CHECK (kind_153 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE orders_125 DROP COLUMN kind_153;
DROP TYPE kind_153_t;
-- +downgrade sqlite
ALTER TABLE orders_125 DROP COLUMN kind_153;
