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
