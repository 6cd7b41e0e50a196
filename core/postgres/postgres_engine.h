// What the programs link of the PostgreSQL engine: its backup engine (pg_dump, pg_restore and
// psql as child processes) and the way to its Backend, which lives in the module
// (core/db/engine_module.h) so that a SQLite-only daemon never loads libpq.
#pragma once

#include <memory>

#include "core/backup/backup.h"
#include "core/db/backend.h"
#include "core/db/database_url.h"

namespace migrationd {

// A connection through the module (loaded on first use).
Result<std::unique_ptr<Backend>> OpenPostgres(const DatabaseUrl& url, bool for_reading);

std::unique_ptr<BackupEngine> MakePostgresBackupEngine(const DatabaseUrl& url,
                                                       const BackupOptions& options);

}  // namespace migrationd
