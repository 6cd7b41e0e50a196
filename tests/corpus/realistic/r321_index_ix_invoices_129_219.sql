-- revision: r321_index_ix_invoices_129_219
-- parents: r320_enum_kind_218
-- message: index invoices_129 (name)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_invoices_129_219 ON invoices_129 (name);
-- +upgrade sqlite
CREATE INDEX ix_invoices_129_219 ON invoices_129 (name);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_invoices_129_219;
-- +downgrade sqlite
DROP INDEX ix_invoices_129_219;
