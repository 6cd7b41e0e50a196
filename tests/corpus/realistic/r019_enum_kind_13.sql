-- revision: r019_enum_kind_13
-- parents: r017_merge
-- message: enum column documents_2.kind_13
-- +upgrade postgresql
CREATE TYPE kind_13_t AS ENUM ('basic', 'premium');
ALTER TABLE documents_2 ADD COLUMN kind_13 kind_13_t;
-- +upgrade sqlite
ALTER TABLE documents_2 ADD COLUMN kind_13 TEXT CHECK (kind_13 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE documents_2 DROP COLUMN kind_13;
DROP TYPE kind_13_t;
-- +downgrade sqlite
ALTER TABLE documents_2 DROP COLUMN kind_13;
