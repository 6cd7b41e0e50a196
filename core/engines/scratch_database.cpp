#include "core/engines/scratch_database.h"

#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "core/base/sha256.h"
#include "core/engines/open_backend.h"
#include "core/scripts/script.h"

namespace migrationd {
namespace {

constexpr const char* kRehearsalPrefix = "migrationd_rehearse_";

// The rehearsal copies of one database: "migrationd_rehearse_<8 hex of its name>_". A daemon
// removes only its own database's leftovers, never those of another database's daemon on the
// same server (each copy is unused for a moment, between CREATE DATABASE and pg_restore's
// connection: the tests' parallel daemons dropped each other's there).
std::string RehearsalPrefixOf(const DatabaseUrl& live) {
  return kRehearsalPrefix + Sha256Hex(live.DatabaseName()).substr(0, 8) + "_";
}

std::string ScratchName(const std::string& prefix = "migrationd_scratch_") {
  std::random_device random;  // /dev/urandom: unique across daemons and hosts on one server
  static const char kHex[] = "0123456789abcdef";
  std::string name = prefix;
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

Result<std::unique_ptr<ScratchDatabase>> ScratchDatabase::FromBackup(
    const DatabaseUrl& like, const std::string& server, const std::string& backup_path,
    const BackupOptions& options, const std::string& directory, std::function<bool()> should_stop) {
  if (like.dialect() == kDialectSqlite) {
    auto owner = TempFileOwner::Claim(directory);
    if (!owner.ok()) return owner.status();
    const std::string path = owner->PathFor("rehearsal.db");
    auto files = std::make_unique<TempFiles>();
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) files->Add(path + suffix);
    std::error_code error;
    std::filesystem::copy_file(backup_path, path, error);
    if (error) {
      return Status::Io("cannot copy backup " + backup_path + " to " + path + ": " +
                        error.message());
    }
    auto url = DatabaseUrl::Parse("sqlite://" + path);
    if (!url.ok()) return url.status();
    std::unique_ptr<ScratchDatabase> scratch(
        new ScratchDatabase(std::move(url).value(), "", std::nullopt, ""));
    scratch->owner_.emplace(std::move(owner).value());
    scratch->files_ = std::move(files);
    return scratch;
  }
  auto on = server.empty() ? Result<DatabaseUrl>(like) : DatabaseUrl::Parse(server);
  if (!on.ok()) return on.status().WithContext("scratch_database");
  const std::string name = ScratchName(RehearsalPrefixOf(like));
  {
    auto backend = OpenBackend(*on);
    if (!backend.ok()) return backend.status();
    // template0 and the live database's encoding and collation: the copy sorts and compares
    // text as the database does.
    auto settings = (*backend)->Query(
        "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database "
        "WHERE datname = current_database()");
    std::string create = "CREATE DATABASE \"" + name + "\" TEMPLATE template0";
    if (settings.ok() && !settings->empty() && on->DatabaseName() == like.DatabaseName()) {
      const SqlRow& row = settings->front();
      create += " ENCODING '" + row[0].value_or("UTF8") + "' LC_COLLATE '" + row[1].value_or("C") +
                "' LC_CTYPE '" + row[2].value_or("C") + "'";
    }
    Status created = (*backend)->Execute(create);
    if (!created.ok()) {
      return created.WithContext("cannot create a database on " + on->Redacted() +
                                 " to rehearse on (the role needs CREATEDB); grant it, or set "
                                 "scratch_database to a server where migrationd may create "
                                 "databases");
    }
  }
  auto url = on->WithDatabase(name);
  if (!url.ok()) return url.status();
  std::unique_ptr<ScratchDatabase> scratch(
      new ScratchDatabase(*url, "", std::move(on).value(), name));
  auto engine = MakeBackupEngine(*url, options);
  if (!engine.ok()) return engine.status();
  (*engine)->set_should_stop(std::move(should_stop));
  MIGRATIOND_RETURN_IF_ERROR((*engine)->CheckTools());
  MIGRATIOND_RETURN_IF_ERROR((*engine)->RestoreIntoEmpty(backup_path));
  return scratch;
}

Result<std::vector<std::string>> ScratchDatabase::RemoveLeftoverRehearsals(
    const DatabaseUrl& like, const std::string& server) {
  std::vector<std::string> removed;
  if (like.dialect() == kDialectSqlite) return removed;
  auto on = server.empty() ? Result<DatabaseUrl>(like) : DatabaseUrl::Parse(server);
  if (!on.ok()) return on.status().WithContext("scratch_database");
  auto backend = OpenBackend(*on);
  if (!backend.ok()) return backend.status();
  auto names = (*backend)->Query(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1) AND datname NOT IN "
      "(SELECT datname FROM pg_stat_activity WHERE datname IS NOT NULL)",
      {RehearsalPrefixOf(like)});
  if (!names.ok()) return names.status();
  for (const SqlRow& row : *names) {
    const std::string name = row[0].value_or("");
    if (name.empty() || name.find('"') != std::string::npos) continue;
    // Without FORCE: a session that connected since the query keeps its database.
    if ((*backend)->Execute("DROP DATABASE IF EXISTS \"" + name + "\"").ok()) {
      removed.push_back(name);
    }
  }
  return removed;
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
