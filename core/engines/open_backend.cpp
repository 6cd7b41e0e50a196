// OpenBackend and friends: the engines' entry points. SQLite is linked in; PostgreSQL is the
// module core/db/engine_module.h loads (this file is the only one that knows which is which).
#include "core/db/backend.h"
#include "core/db/engine_module.h"
#include "core/scripts/script.h"
#include "core/sqlite/sqlite_backend.h"

namespace migrationd {
namespace {

Result<std::unique_ptr<Backend>> OpenPostgres(const DatabaseUrl& url, bool for_reading) {
  auto module = LoadEngineModule("postgres");
  if (!module.ok()) return module.status();
  return for_reading ? (*module)->open_for_reading(url) : (*module)->open(url);
}

}  // namespace

Result<std::unique_ptr<Backend>> OpenBackend(const DatabaseUrl& url) {
  if (url.dialect() == kDialectSqlite) return SqliteBackend::Open(url);
  if (url.dialect() == kDialectPostgresql) return OpenPostgres(url, false);
  return Status::InvalidArgument("no backend for dialect '" + url.dialect() + "'");
}

Result<std::unique_ptr<Backend>> OpenBackendForReading(const DatabaseUrl& url) {
  if (url.dialect() == kDialectSqlite) return SqliteBackend::Open(url, false);
  if (url.dialect() == kDialectPostgresql) return OpenPostgres(url, true);
  return OpenBackend(url);
}

Result<std::shared_ptr<Backend>> Shared(Result<std::unique_ptr<Backend>> opened) {
  if (!opened.ok()) return opened.status();
  return std::shared_ptr<Backend>(std::move(opened).value());
}

}  // namespace migrationd
