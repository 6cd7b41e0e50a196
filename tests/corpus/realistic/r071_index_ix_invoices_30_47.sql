-- revision: r071_index_ix_invoices_30_47
-- parents: r068_merge
-- message: index invoices_30 (name)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_invoices_30_47 ON invoices_30 (name);
-- +upgrade sqlite
CREATE INDEX ix_invoices_30_47 ON invoices_30 (name);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_invoices_30_47;
-- +downgrade sqlite
DROP INDEX ix_invoices_30_47;
