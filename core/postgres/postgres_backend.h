// PostgresBackend: the Backend for PostgreSQL, through libpqxx 6.
//
// One libpq connection. Credentials follow libpq's rules (URI, PGPASSFILE, PG* variables);
// passwords never appear in messages. Server notices are kept out of stderr. DDL is
// transactional, so each migration is atomic. Owned by one job at a time; not thread-safe.
#pragma once

#include <exception>
#include <memory>

#include "core/db/backend.h"
#include "core/postgres/postgres_schema_follower.h"

namespace migrationd {

class PostgresBackend final : public Backend {
 public:
  static Result<std::unique_ptr<Backend>> Open(const DatabaseUrl& url);
  // A session for read-only requests, which the daemon keeps between them: the server ends it
  // after a minute unused (idle_session_timeout, PostgreSQL 14+), so that an idle daemon holds
  // no connection slot for long; a kept session found dead is replaced.
  static Result<std::unique_ptr<Backend>> OpenForReading(const DatabaseUrl& url);
  ~PostgresBackend() override;

  std::string_view dialect() const override;
  std::string Describe() const override { return description_; }
  Status Begin() override;
  Status Commit() override;
  void Rollback() override;
  bool InTransaction() const override;
  Status Execute(const std::string& sql) override;
  Result<std::vector<SqlRow>> Query(const std::string& sql,
                                    const std::vector<SqlValue>& params) override;
  Result<bool> TableExists(const std::string& table) override;
  Result<int64_t> CountUserTables() override;
  void Interrupt() override;
  Status SetTimeouts(int lock_timeout_ms, int statement_timeout_ms) override;
  Status SkipDurability() override;
  Status AcquireStepLock() override;
  void ReleaseStepLock() override;
  Result<std::vector<SqlRow>> BeginStep(const std::string& sql) override;
  std::optional<Status> BeginStepThen(const BoundStatement& guard,
                                      const std::string& statement) override;
  Status CommitAfter(const std::vector<BoundStatement>& last) override;
  Status SetForeignKeys(bool) override { return Status::Ok(); }
  Status CheckForeignKeys() override { return Status::Ok(); }
  std::vector<std::string> VersionTablesDdl() const override;
  Result<NormalizedSchema> ReadSchema() override;  // in postgres_schema.cpp
  Status FollowSchemaChanges(
      const std::vector<std::string>& statements) override;  // in postgres_schema_follower.cpp
  Result<DatabaseFacts> ReadLintFacts(
      int64_t count_rows_up_to,
      const std::set<std::string>& count_tables) override;  // in postgres_schema.cpp
  bool Reusable() const override;
  bool Alive() override;
  void LabelSteps(const std::string& label) override { step_label_ = label; }
  bool SessionMayHaveEnded() override;
  std::string SessionId() override;
  // In postgres_activity.cpp:
  Result<SessionActivity> ObserveSession(const std::string& session_id) override;
  Result<SessionEffects> ReadSessionEffects() override;

 private:
  int connection_version() const;  // the server's version number, e.g. 150018
  // A statement's exception as a Status; inside a transaction, marks it failed.
  Status StatementFailed(const std::exception& e);
  // `EXECUTE name` of `sql` PREPAREd once per connection (bounded), for a simple query; `sql`
  // itself when it is not prepared. PREPARE runs outside a transaction: a statement first met
  // inside one runs as text and is prepared at the next BeginStep.
  std::string Executable(const std::string& sql);
  // Executable(sql) with the values of its $N parameters: `EXECUTE name(values)`, or `sql`
  // with the values written in as quoted literals.
  std::string ExecutableWith(const std::string& sql, const std::vector<SqlValue>& params);
  // `sql` with each $N replaced by the Nth value as a quoted literal (NULL when missing).
  std::string WithLiterals(const std::string& sql, const std::vector<SqlValue>& params);
  std::string Literal(const SqlValue& value) const;  // quoted, or NULL
  // A step's first round trip, for BeginStep and BeginStepThen: `BEGIN; <step lock with the
  // label>` then `rest` as one simple query, the transaction marked begun. Throws what
  // libpqxx throws.
  std::vector<SqlRow> OpenStep(const std::string& rest);
  struct Connection;  // libpqxx's objects, kept out of this header
  PostgresBackend(std::unique_ptr<Connection> connection, std::string description);

  std::unique_ptr<Connection> db_;
  std::string description_;
  std::string step_label_;  // LabelSteps: sent with every step's first round trip
  // Rows written by Execute's statements run outside a transaction (ReadSessionEffects).
  int64_t rows_written_outside_transactions_ = 0;
  // FollowSchemaChanges: set while ReadSchema may read only what changed.
  std::unique_ptr<PostgresSchemaFollower> follower_;
};

}  // namespace migrationd
