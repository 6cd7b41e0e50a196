-- revision: r313_enum_kind_213
-- parents: r312_add_accounts_117_amount_212
-- message: enum column accounts_134.kind_213
-- +upgrade postgresql
CREATE TYPE kind_213_t AS ENUM ('basic', 'premium');
ALTER TABLE accounts_134 ADD COLUMN kind_213 kind_213_t;
-- +upgrade sqlite
ALTER TABLE accounts_134 ADD COLUMN kind_213 TEXT CHECK (kind_213 IN ('basic', 'premium'));
-- +downgrade postgresql
ALTER TABLE accounts_134 DROP COLUMN kind_213;
DROP TYPE kind_213_t;
-- +downgrade sqlite
ALTER TABLE accounts_134 DROP COLUMN kind_213;
