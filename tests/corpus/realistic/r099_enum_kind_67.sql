-- revision: r099_enum_kind_67
-- parents: r096_merge
-- message: enum column users.kind_67
-- +upgrade postgresql
CREATE TYPE kind_67_t AS ENUM ('basic', 'premium');
ALTER TABLE users ADD COLUMN kind_67 kind_67_t;
-- +upgrade sqlite
ALTER TABLE users ADD COLUMN kind_67 TEXT CHECK (kind_67 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE users DROP COLUMN kind_67;
DROP TYPE kind_67_t;
-- +downgrade sqlite
ALTER TABLE users DROP COLUMN kind_67;
