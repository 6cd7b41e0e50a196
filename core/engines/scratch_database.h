// ScratchDatabase: a throwaway database of the same engine, where the scripts are applied to
// learn the schema each revision produces. Removed when the object goes.
//
// SQLite: a file in a private temporary directory ($TMPDIR, else /tmp; under the systemd unit
// that is its PrivateTmp). PostgreSQL: `CREATE DATABASE migrationd_scratch_<random>` on the
// live database's server (the role needs CREATEDB), or on the server of `scratch_database`
// when the config names one, dropped WITH (FORCE) afterwards. Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/db/backend.h"
#include "core/db/database_url.h"

namespace migrationd {

class ScratchDatabase {
 public:
  // `server`: where PostgreSQL scratch databases are created (empty: the server of `like`).
  static Result<std::unique_ptr<ScratchDatabase>> Create(const DatabaseUrl& like,
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
};

}  // namespace migrationd
