-- revision: r281_index_ix_lookup_17_192
-- parents: r280_require_orders_125_slug_191
-- message: index lookup_17 (code)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_lookup_17_192 ON lookup_17 (code);
-- +upgrade sqlite
CREATE INDEX ix_lookup_17_192 ON lookup_17 (code);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_lookup_17_192;
-- +downgrade sqlite
DROP INDEX ix_lookup_17_192;
