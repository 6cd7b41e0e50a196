-- revision: r194_enum_kind_132
-- parents: r193_merge
-- message: enum column accounts_117.kind_132
-- +upgrade postgresql
CREATE TYPE kind_132_t AS ENUM ('basic', 'premium');
ALTER TABLE accounts_117 ADD COLUMN kind_132 kind_132_t;
-- +upgrade sqlite
ALTER TABLE accounts_117 ADD COLUMN kind_132 TEXT CHECK (kind_132 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE accounts_117 DROP COLUMN kind_132;
DROP TYPE kind_132_t;
-- +downgrade sqlite
ALTER TABLE accounts_117 DROP COLUMN kind_132;
