-- revision: 002_add_indexes
-- parents: 001_group_ai
-- message: performance indexes for the admin backend's frequent queries
-- transaction: per-migration

-- +upgrade
-- The dialogue view lists one account's messages in one group, newest first.
-- lint: allow index-not-concurrent: runs in the maintenance window the production procedure prescribes; these tables hold thousands of rows, so the build's SHARE lock lasts well under a second
CREATE INDEX ix_group_ai_dialogue_history_account_group_created
    ON group_ai_dialogue_history (account_id, group_id, created_at);
-- Red packet statistics per account over a time range.
-- lint: allow index-not-concurrent: runs in the maintenance window the production procedure prescribes; these tables hold thousands of rows, so the build's SHARE lock lasts well under a second
CREATE INDEX ix_group_ai_redpacket_logs_account_created
    ON group_ai_redpacket_logs (account_id, created_at);
-- lint: allow index-not-concurrent: runs in the maintenance window the production procedure prescribes; these tables hold thousands of rows, so the build's SHARE lock lasts well under a second
CREATE INDEX ix_group_ai_redpacket_logs_group_id ON group_ai_redpacket_logs (group_id);
-- Dashboards read one metric type per account over a time range.
-- lint: allow index-not-concurrent: runs in the maintenance window the production procedure prescribes; these tables hold thousands of rows, so the build's SHARE lock lasts well under a second
CREATE INDEX ix_group_ai_metrics_account_type_recorded
    ON group_ai_metrics (account_id, metric_type, recorded_at);
-- The account list filters by status and owner.
-- lint: allow index-not-concurrent: runs in the maintenance window the production procedure prescribes; these tables hold thousands of rows, so the build's SHARE lock lasts well under a second
CREATE INDEX ix_group_ai_accounts_status ON group_ai_accounts (status);
-- lint: allow index-not-concurrent: runs in the maintenance window the production procedure prescribes; these tables hold thousands of rows, so the build's SHARE lock lasts well under a second
CREATE INDEX ix_group_ai_accounts_owner_user_id ON group_ai_accounts (owner_user_id);
-- lint: allow index-not-concurrent: runs in the maintenance window the production procedure prescribes; these tables hold thousands of rows, so the build's SHARE lock lasts well under a second
CREATE INDEX ix_users_created_at ON users (created_at);

-- +downgrade
DROP INDEX ix_users_created_at;
DROP INDEX ix_group_ai_accounts_owner_user_id;
DROP INDEX ix_group_ai_accounts_status;
DROP INDEX ix_group_ai_metrics_account_type_recorded;
DROP INDEX ix_group_ai_redpacket_logs_group_id;
DROP INDEX ix_group_ai_redpacket_logs_account_created;
DROP INDEX ix_group_ai_dialogue_history_account_group_created;
