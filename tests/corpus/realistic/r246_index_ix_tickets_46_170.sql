-- revision: r246_index_ix_tickets_46_170
-- parents: r244_merge
-- message: index tickets_46 (kind_120)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_tickets_46_170 ON tickets_46 (kind_120);
-- +upgrade sqlite
CREATE INDEX ix_tickets_46_170 ON tickets_46 (kind_120);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_tickets_46_170;
-- +downgrade sqlite
DROP INDEX ix_tickets_46_170;
