// ScratchDatabase: a throwaway database of the same engine, where the scripts are applied to
// learn the schema each revision produces. Removed when the object goes.
//
// SQLite: a file in a private temporary directory ($TMPDIR, else /tmp; under the systemd unit
// that is its PrivateTmp). PostgreSQL: `CREATE DATABASE migrationd_scratch_<random>` on the
// live database's server (the role needs CREATEDB), or on the server of `scratch_database`
// when the config names one, dropped WITH (FORCE) afterwards. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/backup/backup.h"
#include "core/base/temp_files.h"
#include "core/db/backend.h"
#include "core/db/database_url.h"

namespace migrationd {

class ScratchDatabase {
 public:
  // `server`: where PostgreSQL scratch databases are created (empty: the server of `like`).
  static Result<std::unique_ptr<ScratchDatabase>> Create(const DatabaseUrl& like,
                                                         const std::string& server);
  // A scratch database holding the data of the backup at `backup_path` (a rehearsal).
  // SQLite: a copy of the backup file, an owned temporary file in `directory` (the backup
  // directory: a killed daemon's copy is removed with its other leftovers at the next start).
  // PostgreSQL: `migrationd_rehearse_<8 hex of the database's name>_<random>`, restored from the
  // backup with `options`' tools
  // (pg_restore, psql); `should_stop` ends the restore early (cancel).
  static Result<std::unique_ptr<ScratchDatabase>> FromBackup(const DatabaseUrl& like,
                                                             const std::string& server,
                                                             const std::string& backup_path,
                                                             const BackupOptions& options,
                                                             const std::string& directory,
                                                             std::function<bool()> should_stop);
  // Drops the rehearsal databases of `like`'s database on the server that no session uses:
  // what a daemon killed during a rehearsal left (one in use refuses DROP DATABASE). Another
  // database's copies are not its to drop, and the caller calls this only while nobody holds
  // this database's migration lock (a rehearsal holds it, and its copy is unused for a moment
  // after CREATE DATABASE). Returns their names. SQLite: nothing to do (the backup directory's
  // leftovers are removed by the backup store).
  static Result<std::vector<std::string>> RemoveLeftoverRehearsals(const DatabaseUrl& like,
                                                                   const std::string& server);
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const DatabaseUrl& url() const { return url_; }

 private:
  ScratchDatabase(DatabaseUrl url, std::string directory, std::optional<DatabaseUrl> server,
                  std::string name)
      : url_(std::move(url)),
        directory_(std::move(directory)),
        server_(std::move(server)),
        name_(std::move(name)) {}

  DatabaseUrl url_;
  std::string directory_;              // SQLite: the temporary directory
  std::optional<DatabaseUrl> server_;  // PostgreSQL: where to connect to drop it
  std::string name_;                   // PostgreSQL: the scratch database's name
  // SQLite rehearsal copies: the claim on the temporary files and the files themselves (the
  // files go first).
  std::optional<TempFileOwner> owner_;
  std::unique_ptr<TempFiles> files_;
};

}  // namespace migrationd
