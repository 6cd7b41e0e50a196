// The config file parser: any file content is an error naming the file and line, or a config.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = [] {
    char name[] = "/tmp/migrationd-fuzz-config.XXXXXX";
    int fd = mkstemp(name);
    close(fd);
    return std::string(name);
  }();
  FILE* file = std::fopen(path.c_str(), "wb");
  std::fwrite(data, 1, size, file);
  std::fclose(file);
  const char* argv[] = {"migrationd", "--config", path.c_str(), "--migrations", "m"};
  auto parsed = migrationd::ParseDaemonArgs(5, argv);
  if (!parsed.ok() && parsed.status().message().empty()) __builtin_trap();
  return 0;
}
