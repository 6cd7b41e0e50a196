-- revision: r200_enum_kind_136
-- parents: r199_merge
-- message: enum column documents_111.kind_136
-- +upgrade postgresql
CREATE TYPE kind_136_t AS ENUM ('basic', 'premium');
ALTER TABLE documents_111 ADD COLUMN kind_136 kind_136_t;
-- +upgrade sqlite
ALTER TABLE documents_111 ADD COLUMN kind_136 TEXT CHECK (kind_136 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE documents_111 DROP COLUMN kind_136;
DROP TYPE kind_136_t;
-- +downgrade sqlite
ALTER TABLE documents_111 DROP COLUMN kind_136;
