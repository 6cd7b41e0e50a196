-- revision: r357_index_ix_events_161_245
-- parents: r356_view_active_tickets_164_244
-- message: index events_161 (amount_180)
-- transaction: none
-- +upgrade postgresql
CREATE INDEX CONCURRENTLY ix_events_161_245 ON events_161 (amount_180);
-- +upgrade sqlite
CREATE INDEX ix_events_161_245 ON events_161 (amount_180);
-- +downgrade postgresql
DROP INDEX CONCURRENTLY ix_events_161_245;
-- +downgrade sqlite
DROP INDEX ix_events_161_245;
