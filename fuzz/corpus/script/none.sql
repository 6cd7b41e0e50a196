-- revision: 9
-- parents: 8
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY i ON t (a);
-- +downgrade
DROP INDEX i; -- $$ x $$
