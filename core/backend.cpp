#include "core/backend.h"

#include "core/postgres_backend.h"
#include "core/script.h"
#include "core/sqlite_backend.h"

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

Status Backend::CommitAfter(const std::string& sql, const std::vector<SqlValue>& params) {
  MIGRATIOND_RETURN_IF_ERROR(Query(sql, params).status());
  return Commit();
}

Result<std::unique_ptr<Backend>> OpenBackend(const DatabaseUrl& url) {
  if (url.dialect() == kDialectSqlite) return SqliteBackend::Open(url);
  if (url.dialect() == kDialectPostgresql) return PostgresBackend::Open(url);
  return Status::InvalidArgument("no backend for dialect '" + url.dialect() + "'");
}

Result<std::unique_ptr<Backend>> OpenBackendForReading(const DatabaseUrl& url) {
  if (url.dialect() == kDialectSqlite) return SqliteBackend::Open(url, false);
  if (url.dialect() == kDialectPostgresql) return PostgresBackend::OpenForReading(url);
  return OpenBackend(url);
}

Result<std::shared_ptr<Backend>> Shared(Result<std::unique_ptr<Backend>> opened) {
  if (!opened.ok()) return opened.status();
  return std::shared_ptr<Backend>(std::move(opened).value());
}

}  // namespace migrationd
