-- revision: r042_enum_kind_28
-- parents: r041_lookup_lookup_27
-- message: enum column documents_6.kind_28
-- +upgrade postgresql
CREATE TYPE kind_28_t AS ENUM ('basic', 'premium');
ALTER TABLE documents_6 ADD COLUMN kind_28 kind_28_t;
-- +upgrade sqlite
ALTER TABLE documents_6 ADD COLUMN kind_28 TEXT CHECK (kind_28 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE documents_6 DROP COLUMN kind_28;
DROP TYPE kind_28_t;
-- +downgrade sqlite
ALTER TABLE documents_6 DROP COLUMN kind_28;
