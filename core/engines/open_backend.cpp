// OpenBackend and friends: the engines' entry points. SQLite is linked in; PostgreSQL is the
// module core/db/engine_module.h loads (this layer is the only one that knows which is which).
#include "core/engines/open_backend.h"

#include "core/postgres/postgres_engine.h"
#include "core/scripts/script.h"
#include "core/sqlite/sqlite_backend.h"

namespace migrationd {

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

Result<std::unique_ptr<Backend>> OpenBackendForWatching(const DatabaseUrl& url) {
  if (url.dialect() == kDialectSqlite) return SqliteBackend::OpenForWatching(url);
  return OpenBackend(url);
}

Result<std::unique_ptr<BackupEngine>> MakeBackupEngine(const DatabaseUrl& url,
                                                       const BackupOptions& options) {
  if (url.dialect() == kDialectSqlite) return MakeSqliteBackupEngine(url, options);
  if (options.postgres_format != "custom" && options.postgres_format != "plain") {
    return Status::InvalidArgument("backup format '" + options.postgres_format +
                                   "' is unknown; use custom or plain");
  }
  return MakePostgresBackupEngine(url, options);
}

}  // namespace migrationd
