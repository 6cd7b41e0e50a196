-- revision: r002_enum_kind_1
-- parents: r001_initial
-- message: enum column users.kind_1
-- +upgrade postgresql
CREATE TYPE kind_1_t AS ENUM ('basic', 'premium');
ALTER TABLE users ADD COLUMN kind_1 kind_1_t;
-- +upgrade sqlite
ALTER TABLE users ADD COLUMN kind_1 TEXT CHECK (kind_1 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE users DROP COLUMN kind_1;
DROP TYPE kind_1_t;
-- +downgrade sqlite
ALTER TABLE users DROP COLUMN kind_1;
