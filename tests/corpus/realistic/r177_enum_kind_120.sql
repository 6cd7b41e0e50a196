-- revision: r177_enum_kind_120
-- parents: r176_index_ix_events_16_119
-- message: enum column tickets_46.kind_120
-- +upgrade postgresql
CREATE TYPE kind_120_t AS ENUM ('basic', 'premium');
ALTER TABLE tickets_46 ADD COLUMN kind_120 kind_120_t;
-- +upgrade sqlite
ALTER TABLE tickets_46 ADD COLUMN kind_120 TEXT CHECK (kind_120 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE tickets_46 DROP COLUMN kind_120;
DROP TYPE kind_120_t;
-- +downgrade sqlite
ALTER TABLE tickets_46 DROP COLUMN kind_120;
