-- revision: r043_enum_value_kind_28
-- parents: r042_enum_kind_28
-- message: enum kind_28 gains tier3
-- +upgrade postgresql
ALTER TYPE kind_28_t ADD VALUE 'tier3';
-- +upgrade sqlite
-- SQLite keeps the CHECK; the new value is PostgreSQL's only
SELECT 1;
-- +downgrade postgresql
ALTER TYPE kind_28_t RENAME TO kind_28_old;
CREATE TYPE kind_28_t AS ENUM ('basic', 'premium');
ALTER TABLE documents_6 ALTER COLUMN kind_28 TYPE kind_28_t USING kind_28::text::kind_28_t;
DROP TYPE kind_28_old;
-- +downgrade sqlite
SELECT 1;
