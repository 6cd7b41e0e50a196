// The engines' layer: the one place that knows which engines exist. SQLite is linked into the
// programs; PostgreSQL's Backend is a module loaded on first use (core/db/engine_module.h), its
// backup engine is linked in.
#pragma once

#include <memory>

#include "core/backup/backup.h"
#include "core/db/backend.h"
#include "core/db/database_url.h"

namespace migrationd {

// Opens a connection to the database the URL names. SQLite creates the file if it is missing.
Result<std::unique_ptr<Backend>> OpenBackend(const DatabaseUrl& url);
// For reading only: a SQLite file that does not exist reads as an empty database and is not
// created (PostgreSQL: as OpenBackend).
Result<std::unique_ptr<Backend>> OpenBackendForReading(const DatabaseUrl& url);
// For Backend::ObserveSession only (the daemon's watch of a migration statement): SQLite's
// answers come from this process's session board and /proc/locks, so its connection never reads
// the file, and opens even while another holds the file's EXCLUSIVE lock (PostgreSQL: as
// OpenBackend).
Result<std::unique_ptr<Backend>> OpenBackendForWatching(const DatabaseUrl& url);

// The backup engine of the URL's database.
Result<std::unique_ptr<BackupEngine>> MakeBackupEngine(const DatabaseUrl& url,
                                                       const BackupOptions& options);

}  // namespace migrationd
