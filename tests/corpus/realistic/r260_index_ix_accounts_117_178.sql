-- revision: r260_index_ix_accounts_117_178
-- parents: r259_merge
-- message: index accounts_117 (name)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_accounts_117_178 ON accounts_117 (name);
-- +upgrade sqlite
CREATE INDEX ix_accounts_117_178 ON accounts_117 (name);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_accounts_117_178;
-- +downgrade sqlite
DROP INDEX ix_accounts_117_178;
