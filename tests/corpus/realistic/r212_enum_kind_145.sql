-- revision: r212_enum_kind_145
-- parents: r210_add_members_54_note_143
-- message: enum column users.kind_145
-- +upgrade postgresql
CREATE TYPE kind_145_t AS ENUM ('basic', 'premium');
ALTER TABLE users ADD COLUMN kind_145 kind_145_t;
-- +upgrade sqlite
ALTER TABLE users ADD COLUMN kind_145 TEXT CHECK (kind_145 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE users DROP COLUMN kind_145;
DROP TYPE kind_145_t;
-- +downgrade sqlite
ALTER TABLE users DROP COLUMN kind_145;
