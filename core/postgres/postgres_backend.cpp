#include "core/postgres/postgres_backend.h"

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <pqxx/pqxx>
#include <utility>
#include <vector>

#include "core/scripts/script.h"
#include "core/scripts/version_tables.h"

namespace migrationd {
namespace {

// "migstep" in ASCII: the key every migrationd's steps serialize on. It differs from the
// migration lock's key, which a daemon's lock connection holds while its migration connection
// takes this one.
constexpr const char* kStepLockKey = "30796665501017456";  // 0x6d696773746570

// `SELECT function(step lock key)`, with `, set_config('application_name', $1, false)` when
// the step is labelled (Backend::LabelSteps): the label costs no round trip of its own.
std::string StepLockSql(const char* function, bool labelled) {
  return std::string("SELECT ") + function + "(CAST(" + kStepLockKey + " AS BIGINT))" +
         (labelled ? ", set_config('application_name', $1, false)" : "");
}

// How many distinct statement texts one connection prepares.
constexpr size_t kMaxPreparedStatements = 64;

// SQLSTATE 55P03: lock_timeout expired waiting for a table lock held by live traffic.
constexpr const char* kLockNotAvailable = "55P03";

// Whether `e` says the session is gone, in libpq's or libpqxx's words: the server ended it (a
// restart, pg_terminate_backend), the network cut it, or it was already broken when used.
bool SessionEnded(const std::exception& e, const std::string& message) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) return true;
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
      sql != nullptr && (sql->sqlstate().starts_with("08") || sql->sqlstate() == "57P01" ||
                         sql->sqlstate() == "57P02" || sql->sqlstate() == "57P03")) {
    return true;
  }
  for (const char* words :
       {"not connected", "reactivation is inhibited", "server closed the connection",
        "terminating connection", "no connection to the server",
        "could not receive data from server", "could not send data to server"}) {
    if (message.find(words) != std::string::npos) return true;
  }
  return false;
}

// libpq messages end with a newline and may quote a connection string.
Status DatabaseError(const std::exception& e) {
  std::string message = RedactPasswords(e.what());
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (SessionEnded(e, message)) {
    return Status::ConnectionLost("the connection to the PostgreSQL server was lost (" + message +
                                  ")");
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
      sql != nullptr && sql->sqlstate() == kLockNotAvailable) {
    return Status::Busy(message);
  }
  return Status::Database(message);
}

}  // namespace

// Swallows server notices ("NOTICE: table does not exist, skipping") that libpq would print.
class NoticeSink final : public pqxx::errorhandler {
 public:
  explicit NoticeSink(pqxx::connection_base& connection) : pqxx::errorhandler(connection) {}
  bool operator()(const char*) noexcept override { return false; }
};

// Members in destruction order: the handler unregisters, then the connection closes.
struct PostgresBackend::Connection {
  explicit Connection(const std::string& uri) : connection(uri), notices(connection) {
    // libpqxx 6 silently opens a new session when a broken one is used again. A new session
    // holds none of this one's locks or settings (the migration lock, the step lock,
    // lock_timeout): once broken, a connection must stay broken, so that the job stops.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    connection.inhibit_reactivation(true);
#pragma GCC diagnostic pop
  }
  pqxx::connection connection;
  NoticeSink notices;
  // Transactions are begun and ended with plain BEGIN/COMMIT, not pqxx::work, so that a step
  // can send BEGIN together with its first statements (BeginStep).
  bool in_transaction = false;
  bool transaction_failed = false;  // a statement failed since BEGIN: COMMIT must not succeed
  // Statements run with parameters are prepared on first use and then only bound and
  // executed: a migration runs the same few for every revision. Bounded, for the statements
  // whose text varies.
  std::map<std::string, std::string, std::less<>> prepared;
  // Statements BeginStep's batch EXECUTEs, made with SQL's PREPARE (once per connection,
  // outside a transaction): the server then neither parses nor plans them at every revision.
  std::map<std::string, std::string, std::less<>> sql_prepared;
  std::vector<std::string> to_prepare;  // met inside a transaction: PREPAREd after it
};

PostgresBackend::PostgresBackend(std::unique_ptr<Connection> connection, std::string description)
    : db_(std::move(connection)), description_(std::move(description)) {}

PostgresBackend::~PostgresBackend() = default;

int PostgresBackend::connection_version() const { return db_->connection.server_version(); }

bool PostgresBackend::InTransaction() const { return db_->in_transaction; }

Result<std::unique_ptr<Backend>> PostgresBackend::Open(const DatabaseUrl& url) {
  try {
    auto connection = std::make_unique<Connection>(url.target());
    return std::unique_ptr<Backend>(new PostgresBackend(std::move(connection), url.Redacted()));
  } catch (const std::exception& e) {
    return DatabaseError(e).WithContext("cannot connect to " + url.Redacted());
  }
}

Result<std::unique_ptr<Backend>> PostgresBackend::OpenForReading(const DatabaseUrl& url) {
  auto opened = Open(url);
  if (!opened.ok()) return opened;
  MIGRATIOND_RETURN_IF_ERROR(
      (*opened)
          ->Query("SELECT set_config('idle_session_timeout', '60s', false) WHERE "
                  "CAST(current_setting('server_version_num') AS INTEGER) >= 140000")
          .status());
  return opened;
}

bool PostgresBackend::Reusable() const { return db_->connection.is_open() && !db_->in_transaction; }

bool PostgresBackend::Alive() { return Reusable() && Query("SELECT 1", {}).ok(); }

bool PostgresBackend::SessionMayHaveEnded() {
  const int fd = db_->connection.sock();
  if (fd < 0 || db_->in_transaction) return true;
  // Between statements the server sends nothing unless the session ends (the FATAL message of
  // pg_terminate_backend, a shutdown) or the connection closes: either makes the socket
  // readable. A failed poll counts as "may have ended" too.
  pollfd watched{fd, POLLIN, 0};
  return poll(&watched, 1, 0) != 0;
}

std::string_view PostgresBackend::dialect() const { return kDialectPostgresql; }

Status PostgresBackend::StatementFailed(const std::exception& e) {
  if (db_->in_transaction) db_->transaction_failed = true;
  return DatabaseError(e);
}

Status PostgresBackend::Begin() {
  Status status = Execute("BEGIN");
  db_->in_transaction = status.ok();
  db_->transaction_failed = false;
  return status;
}

Status PostgresBackend::Commit() {
  try {
    // The server answers COMMIT of a transaction it aborted with a ROLLBACK, not an error.
    if (db_->transaction_failed) return RefuseCommitAfterFailedStatement();
    db_->in_transaction = false;
    pqxx::nontransaction session(db_->connection);
    session.exec("COMMIT");
    return Status::Ok();
  } catch (const std::exception& e) {
    return DatabaseError(e);
  }
}

void PostgresBackend::Rollback() {
  if (!db_->in_transaction) return;
  db_->in_transaction = false;
  db_->transaction_failed = false;
  try {
    pqxx::nontransaction session(db_->connection);
    session.exec("ROLLBACK");
  } catch (const std::exception&) {
    // The connection is gone, and its transaction with it.
  }
}

Status PostgresBackend::Execute(const std::string& sql) {
  try {
    pqxx::nontransaction session(db_->connection);
    const pqxx::result result = session.exec(sql);
    // Outside a transaction each statement is one, and pg_stat_xact_user_tables forgets it as it
    // ends: the command's own count is what ReadSessionEffects adds then. A statement that
    // returns rows (a SELECT) reads them; it does not write them.
    if (!db_->in_transaction && result.columns() == 0) {
      rows_written_outside_transactions_ += static_cast<int64_t>(result.affected_rows());
    }
    return Status::Ok();
  } catch (const std::exception& e) {
    return StatementFailed(e);
  }
}

namespace {

std::vector<SqlRow> Rows(const pqxx::result& result) {
  std::vector<SqlRow> rows;
  rows.reserve(result.size());
  for (const auto& row : result) {
    SqlRow values;
    values.reserve(row.size());
    for (const auto& field : row) {
      values.push_back(field.is_null() ? SqlValue() : SqlValue(field.c_str()));
    }
    rows.push_back(std::move(values));
  }
  return rows;
}

}  // namespace

Result<std::vector<SqlRow>> PostgresBackend::Query(const std::string& sql,
                                                   const std::vector<SqlValue>& params) {
  try {
    pqxx::nontransaction session(db_->connection);
    auto prepared = db_->prepared.find(sql);
    if (prepared == db_->prepared.end() && db_->prepared.size() < kMaxPreparedStatements) {
      std::string name = "migrationd_" + std::to_string(db_->prepared.size());
      db_->connection.prepare(name, sql);
      prepared = db_->prepared.emplace(sql, std::move(name)).first;
    }
    auto values = pqxx::prepare::make_dynamic_params(params);
    if (prepared == db_->prepared.end()) return Rows(session.exec_params(sql, values));
    return Rows(session.exec_prepared(prepared->second, values));
  } catch (const std::exception& e) {
    return StatementFailed(e);
  }
}

std::string PostgresBackend::Executable(const std::string& sql) {
  auto found = db_->sql_prepared.find(sql);
  if (found == db_->sql_prepared.end() && db_->in_transaction) {
    // Prepared at the next opportunity outside a transaction (BeginStep); text until then.
    if (std::find(db_->to_prepare.begin(), db_->to_prepare.end(), sql) == db_->to_prepare.end()) {
      db_->to_prepare.push_back(sql);
    }
    return sql;
  }
  // A statement that cannot be prepared (its table is missing) runs as text, and fails there.
  if (found == db_->sql_prepared.end() && db_->sql_prepared.size() < kMaxPreparedStatements) {
    std::string name = "migrationd_sql_" + std::to_string(db_->sql_prepared.size());
    if (Execute("PREPARE " + name + " AS " + sql).ok()) {
      found = db_->sql_prepared.emplace(sql, std::move(name)).first;
    }
  }
  return found == db_->sql_prepared.end() ? sql : "EXECUTE " + found->second;
}

std::string PostgresBackend::ExecutableWith(const std::string& sql,
                                            const std::vector<SqlValue>& params) {
  std::string executable = Executable(sql);
  if (executable == sql) return WithLiterals(sql, params);
  std::string arguments;
  for (const SqlValue& value : params) {
    arguments += (arguments.empty() ? "(" : ", ") + Literal(value);
  }
  return executable + arguments + (arguments.empty() ? "" : ")");
}

std::string PostgresBackend::Literal(const SqlValue& value) const {
  return value ? db_->connection.quote(*value) : std::string("NULL");
}

std::string PostgresBackend::WithLiterals(const std::string& sql,
                                          const std::vector<SqlValue>& params) {
  std::string text;
  for (size_t i = 0; i < sql.size(); ++i) {
    size_t digits = i + 1;
    while (sql[i] == '$' && digits < sql.size() &&
           std::isdigit(static_cast<unsigned char>(sql[digits]))) {
      ++digits;
    }
    if (digits == i + 1) {
      text += sql[i];
      continue;
    }
    const size_t index = std::stoul(sql.substr(i + 1, digits - i - 1)) - 1;
    text += Literal(index < params.size() ? params[index] : SqlValue());
    i = digits - 1;
  }
  return text;
}

std::vector<SqlRow> PostgresBackend::OpenStep(const std::string& rest) {
  // What the previous step met inside its transaction (CommitAfter's statements) is prepared
  // now, once per connection.
  for (const std::string& deferred : std::exchange(db_->to_prepare, {})) Executable(deferred);
  const std::string lock = StepLockSql("pg_advisory_xact_lock", !step_label_.empty());
  const std::string batch =
      "BEGIN; " + (step_label_.empty() ? Executable(lock) : ExecutableWith(lock, {step_label_})) +
      rest;
  // Marked first: when the lock or a later statement fails after BEGIN, the caller's Rollback
  // ends the transaction the server began.
  db_->in_transaction = true;
  db_->transaction_failed = false;
  pqxx::nontransaction session(db_->connection);
  return Rows(session.exec(batch));
}

Result<std::vector<SqlRow>> PostgresBackend::BeginStep(const std::string& sql) {
  // One round trip: BEGIN, the step lock (with the step's label), then the read. The
  // statements of one simple query run in order and, under READ COMMITTED, each takes its own
  // snapshot, so the read sees everything committed before the lock was granted.
  try {
    return OpenStep(sql.empty() ? "" : "; " + Executable(sql));
  } catch (const std::exception& e) {
    return StatementFailed(e).WithContext("cannot begin the step under the step lock");
  }
}

std::optional<Status> PostgresBackend::BeginStepThen(const BoundStatement& guard,
                                                     const std::string& statement) {
  // Before 13, statement_timeout timed a simple query as a whole: the lock wait and the guard
  // would count against the statement's limit.
  if (connection_version() < 130000) return std::nullopt;
  try {
    // The statement on a line of its own: a syntax error's "LINE n:" excerpt then shows it,
    // not migrationd's prefix. A syntax error anywhere fails the whole query before BEGIN runs.
    (void)OpenStep("; " + ExecutableWith(guard.sql, guard.params) + ";\n" + statement);
    return Status::Ok();
  } catch (const std::exception& e) {
    return StatementFailed(e);
  }
}

Result<bool> PostgresBackend::TableExists(const std::string& table) {
  auto rows = Query(
      "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = $1 AND schemaname = ANY "
      "(current_schemas(false))",
      {table});
  if (!rows.ok()) return rows.status();
  return rows->front()[0].value_or("0") != "0";
}

Result<int64_t> PostgresBackend::CountUserTables() {
  auto rows = Query(
      "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog',"
      " 'information_schema') AND tablename NOT LIKE 'migrationd\\_%'",
      {});
  if (!rows.ok()) return rows.status();
  return std::stoll(rows->front()[0].value_or("0"));
}

Status PostgresBackend::CommitAfter(const std::vector<BoundStatement>& last) {
  // One round trip: the statements with their parameters written in as quoted literals, then
  // COMMIT, as one simple query. The server stops at the first statement that fails, so a
  // failed statement never reaches the COMMIT.
  if (!db_->in_transaction || db_->transaction_failed) return Backend::CommitAfter(last);
  try {
    std::string batch;
    for (const BoundStatement& statement : last) {
      batch += ExecutableWith(statement.sql, statement.params) + "; ";
    }
    batch += "COMMIT";
    pqxx::nontransaction session(db_->connection);
    session.exec(batch);
    db_->in_transaction = false;
    return Status::Ok();
  } catch (const std::exception& e) {
    // A failed statement leaves the transaction open and aborted (the simple query stopped
    // before COMMIT), a failed COMMIT leaves none: ROLLBACK ends it either way.
    Status status = StatementFailed(e);
    Rollback();
    return status;
  }
}

Status PostgresBackend::AcquireStepLock() {
  // Transaction level inside a step's transaction (released by its commit or rollback, so no
  // path can leak it); session level around a `transaction: none` step's autocommit statements.
  const char* function = db_->in_transaction ? "pg_advisory_xact_lock" : "pg_advisory_lock";
  std::vector<SqlValue> params;
  if (!step_label_.empty()) params.emplace_back(step_label_);
  return Query(StepLockSql(function, !step_label_.empty()), params)
      .status()
      .WithContext("cannot take the step lock");
}

void PostgresBackend::ReleaseStepLock() {
  (void)Query(StepLockSql("pg_advisory_unlock", false), {});
}

std::string PostgresBackend::SessionId() { return std::to_string(db_->connection.backendpid()); }

void PostgresBackend::Interrupt() {
  try {
    db_->connection.cancel_query();
  } catch (const std::exception&) {
    // Nothing is running, or the connection is gone: either way nothing is left to stop.
  }
}

Status PostgresBackend::SetTimeouts(int lock_timeout_ms, int statement_timeout_ms) {
  // One round trip. If the daemon dies mid-statement, the server notices within a second and
  // rolls the migration back, instead of holding its table locks until the statement ends
  // (client_connection_check_interval, PG 14+).
  return Execute(
      "SET lock_timeout = " + std::to_string(lock_timeout_ms) + "; " +
      (connection_version() >= 140000 ? "SET client_connection_check_interval = 1000; " : "") +
      "SET statement_timeout = " + std::to_string(statement_timeout_ms));
}

Status PostgresBackend::SkipDurability() { return Execute("SET synchronous_commit = off"); }

std::vector<std::string> PostgresBackend::VersionTablesDdl() const {
  return VersionTablesDdlFor(kDialectPostgresql);
}

}  // namespace migrationd
