#include "core/backup/database_identity.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "core/scripts/script.h"

namespace migrationd {
namespace {

constexpr const char* kTableDdl =
    "CREATE TABLE IF NOT EXISTS migrationd_identity (id TEXT NOT NULL)";

Result<std::string> RandomId() {
  unsigned char bytes[16];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, bytes, sizeof(bytes)) != static_cast<ssize_t>(sizeof(bytes))) {
    if (fd >= 0) close(fd);
    return Status::Io("cannot read /dev/urandom for the database's identity");
  }
  close(fd);
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char byte : bytes) {
    id += kHex[byte >> 4];
    id += kHex[byte & 15];
  }
  return id;
}

// The id stored in migrationd_identity, created if asked; "" if there is none yet.
Result<std::string> StoredId(Backend& backend, bool create) {
  auto exists = backend.TableExists("migrationd_identity");
  if (!exists.ok()) return exists.status();
  if (!*exists && !create) return std::string();
  if (!*exists) MIGRATIOND_RETURN_IF_ERROR(backend.Execute(kTableDdl));
  auto rows = backend.Query("SELECT id FROM migrationd_identity", {});
  if (!rows.ok()) return rows.status();
  if (!rows->empty()) return rows->front()[0].value_or("");
  if (!create) return std::string();
  auto id = RandomId();
  if (!id.ok()) return id.status();
  auto inserted = backend.Query("INSERT INTO migrationd_identity (id) VALUES ($1)", {*id});
  if (!inserted.ok()) return inserted.status();
  return *id;
}

std::string IdPart(const std::string& identity) {
  size_t hash = identity.rfind('#');
  return hash == std::string::npos ? "" : identity.substr(hash + 1);
}

}  // namespace

Result<std::string> ReadDatabaseIdentity(Backend& backend, const DatabaseUrl& url, bool create) {
  if (url.dialect() == kDialectPostgresql) {
    // A failed query aborts an open transaction; this runs in autocommit mode.
    auto system = backend.Query(
        "SELECT CAST(system_identifier AS TEXT) || '/' || current_database()"
        " FROM pg_control_system()",
        {});
    if (system.ok() && !system->empty()) {
      return "postgresql:" + system->front()[0].value_or("");
    }
    auto name = backend.Query("SELECT current_database()", {});
    if (!name.ok()) return name.status();
    auto id = StoredId(backend, create);
    if (!id.ok()) return id.status();
    return "postgresql:" + name->front()[0].value_or("") + "#" + *id;
  }
  std::error_code error;
  std::filesystem::path path = std::filesystem::absolute(url.target(), error).lexically_normal();
  auto id = StoredId(backend, create);
  if (!id.ok()) return id.status();
  return "sqlite:" + path.string() + "#" + *id;
}

Status KeepDatabaseIdentity(Backend& backend, const std::string& identity) {
  const std::string id = IdPart(identity);
  if (id.empty()) return Status::Ok();
  MIGRATIOND_RETURN_IF_ERROR(backend.Execute(kTableDdl));
  MIGRATIOND_RETURN_IF_ERROR(backend.Execute("DELETE FROM migrationd_identity"));
  return backend.Query("INSERT INTO migrationd_identity (id) VALUES ($1)", {id}).status();
}

}  // namespace migrationd
