#include "core/db/backend.h"

#include "core/scripts/script.h"

namespace migrationd {

Result<std::vector<SqlRow>> Backend::BeginStep(const std::string& sql) {
  MIGRATIOND_RETURN_IF_ERROR(Begin());
  MIGRATIOND_RETURN_IF_ERROR(AcquireStepLock());
  if (sql.empty()) return std::vector<SqlRow>();
  return Query(sql);
}

Status Backend::RefuseCommitAfterFailedStatement() {
  Rollback();
  return Status::Database("a statement of the transaction failed: it was rolled back");
}

Status Backend::CommitAfter(const std::vector<BoundStatement>& last) {
  for (const BoundStatement& statement : last) {
    MIGRATIOND_RETURN_IF_ERROR(Query(statement.sql, statement.params).status());
  }
  return Commit();
}

Result<std::shared_ptr<Backend>> Shared(Result<std::unique_ptr<Backend>> opened) {
  if (!opened.ok()) return opened.status();
  return std::shared_ptr<Backend>(std::move(opened).value());
}

}  // namespace migrationd

namespace migrationd {

Result<SessionActivity> Backend::ObserveSession(const std::string& session_id) {
  (void)session_id;
  return Status::Unavailable(std::string(dialect()) + " cannot show another session's activity");
}

namespace {

// PostgreSQL's table lock modes, weakest first, as pg_locks names them.
constexpr std::string_view kLockModes[] = {
    "AccessShareLock", "RowShareLock",          "RowExclusiveLock", "ShareUpdateExclusiveLock",
    "ShareLock",       "ShareRowExclusiveLock", "ExclusiveLock",    "AccessExclusiveLock"};

}  // namespace

std::string StatementOnOneLine(const std::string& sql, size_t max) {
  std::string line;
  for (char c : sql) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (space && (line.empty() || line.back() == ' ')) continue;
    line += space ? ' ' : c;
    if (line.size() >= max) return line + " ...";
  }
  return line;
}

int LockModeStrength(std::string_view mode) {
  for (size_t i = 0; i < std::size(kLockModes); ++i) {
    if (kLockModes[i] == mode) return static_cast<int>(i) + 1;
  }
  return 0;
}

std::string LockModeName(std::string_view mode) {
  if (mode.ends_with("Lock")) mode.remove_suffix(4);
  std::string name;
  for (size_t i = 0; i < mode.size(); ++i) {
    const char c = mode[i];
    if (i > 0 && c >= 'A' && c <= 'Z') name += ' ';
    name += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  }
  return name;
}

}  // namespace migrationd
