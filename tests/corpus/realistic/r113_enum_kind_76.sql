-- revision: r113_enum_kind_76
-- parents: r112_merge
-- message: enum column tickets_48.kind_76
-- +upgrade postgresql
CREATE TYPE kind_76_t AS ENUM ('basic', 'premium');
ALTER TABLE tickets_48 ADD COLUMN kind_76 kind_76_t;
-- +upgrade sqlite
ALTER TABLE tickets_48 ADD COLUMN kind_76 TEXT CHECK (kind_76 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE tickets_48 DROP COLUMN kind_76;
DROP TYPE kind_76_t;
-- +downgrade sqlite
ALTER TABLE tickets_48 DROP COLUMN kind_76;
