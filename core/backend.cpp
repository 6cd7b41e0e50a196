#include "core/backend.h"

#include "core/postgres_backend.h"
#include "core/script.h"
#include "core/sqlite_backend.h"

namespace migrationd {

Result<std::unique_ptr<Backend>> OpenBackend(const DatabaseUrl& url) {
  if (url.dialect() == kDialectSqlite) return SqliteBackend::Open(url);
  if (url.dialect() == kDialectPostgresql) return PostgresBackend::Open(url);
  return Status::InvalidArgument("no backend for dialect '" + url.dialect() + "'");
}

Result<std::unique_ptr<Backend>> OpenBackendForReading(const DatabaseUrl& url) {
  if (url.dialect() == kDialectSqlite) return SqliteBackend::Open(url, false);
  return OpenBackend(url);
}

}  // namespace migrationd
