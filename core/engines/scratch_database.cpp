#include "core/engines/scratch_database.h"

#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "core/engines/open_backend.h"
#include "core/scripts/script.h"

namespace migrationd {
namespace {

std::string ScratchName() {
  std::random_device random;  // /dev/urandom: unique across daemons and hosts on one server
  static const char kHex[] = "0123456789abcdef";
  std::string name = "migrationd_scratch_";
  for (int i = 0; i < 4; ++i) {
    const unsigned value = random();
    for (int shift = 0; shift < 32; shift += 4) name += kHex[(value >> shift) & 15];
  }
  return name;
}

}  // namespace

Result<std::unique_ptr<ScratchDatabase>> ScratchDatabase::Create(const DatabaseUrl& like,
                                                                 const std::string& server) {
  if (like.dialect() == kDialectSqlite) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/migrationd-scratch.XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      return Status::Io("cannot create a scratch directory " + pattern + ": " +
                        std::strerror(errno) + "; set TMPDIR to a writable directory");
    }
    auto url = DatabaseUrl::Parse("sqlite://" + pattern + "/scratch.db");
    if (!url.ok()) return url.status();
    return std::unique_ptr<ScratchDatabase>(
        new ScratchDatabase(std::move(url).value(), pattern, std::nullopt, ""));
  }
  auto on = server.empty() ? Result<DatabaseUrl>(like) : DatabaseUrl::Parse(server);
  if (!on.ok()) return on.status().WithContext("scratch_database");
  if (on->dialect() != like.dialect()) {
    return Status::InvalidArgument("scratch_database must be a " + like.dialect() +
                                   " URL like the database's");
  }
  const std::string name = ScratchName();
  auto backend = OpenBackend(*on);
  if (!backend.ok()) return backend.status();
  Status created = (*backend)->Execute("CREATE DATABASE \"" + name + "\" TEMPLATE template0");
  if (!created.ok()) {
    return created.WithContext(
        "cannot create a scratch database on " + on->Redacted() +
        " to build the expected schema (the role needs CREATEDB); grant it, or set "
        "scratch_database to a server where migrationd may create databases");
  }
  auto url = on->WithDatabase(name);
  if (!url.ok()) return url.status();
  return std::unique_ptr<ScratchDatabase>(
      new ScratchDatabase(std::move(url).value(), "", std::move(on).value(), name));
}

ScratchDatabase::~ScratchDatabase() {
  if (!directory_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  if (server_) {
    // Best effort: a scratch database left behind is named as one and holds no data.
    if (auto backend = OpenBackend(*server_); backend.ok()) {
      (void)(*backend)->Execute("DROP DATABASE IF EXISTS \"" + name_ + "\" WITH (FORCE)");
    }
  }
}

}  // namespace migrationd
