-- revision: r325_enum_kind_222
-- parents: r324_merge
-- message: enum column invoices_30.kind_222
-- +upgrade postgresql
CREATE TYPE kind_222_t AS ENUM ('basic', 'premium');
ALTER TABLE invoices_30 ADD COLUMN kind_222 kind_222_t;
-- +upgrade sqlite
ALTER TABLE invoices_30 ADD COLUMN kind_222 TEXT CHECK (kind_222 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE invoices_30 DROP COLUMN kind_222;
DROP TYPE kind_222_t;
-- +downgrade sqlite
ALTER TABLE invoices_30 DROP COLUMN kind_222;
