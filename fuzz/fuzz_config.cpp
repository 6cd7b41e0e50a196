// The config file parser: any file content is an error naming the file and line, or a config.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The file is unlinked at once and reached through /proc/self/fd: nothing is left in /tmp
  // however the run ends (time limit, crash, kill).
  static const int fd = [] {
    char name[] = "/tmp/migrationd-fuzz-config.XXXXXX";
    const int created = mkstemp(name);
    unlink(name);
    return created;
  }();
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  const char* argv[] = {"migrationd", "--config", path.c_str(), "--migrations", "m"};
  auto parsed = migrationd::ParseDaemonArgs(5, argv);
  if (!parsed.ok() && parsed.status().message().empty()) __builtin_trap();
  // Every database served has a URL, a scripts directory and (with several) a unique name.
  if (parsed.ok()) {
    if (parsed->databases.empty()) __builtin_trap();
    for (const auto& database : parsed->databases) {
      if (database.database.empty() || database.migrations.empty()) __builtin_trap();
      if (parsed->databases.size() > 1 && database.database_name.empty()) __builtin_trap();
    }
  }
  return 0;
}
