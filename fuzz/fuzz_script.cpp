// Migration scripts come from a directory the daemon reads on every request: parsing any text
// must end in a script or an error naming the file and line, never a crash or a hang.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/scripts/script.h"
#include "core/scripts/sql_splitter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Each lexer (the portable one, PostgreSQL's, SQLite's) returns pieces of the input, on lines
  // that exist.
  const auto lines = 1 + std::count(text.begin(), text.end(), '\n');
  for (const char* dialect : {"", "sqlite", "postgresql"}) {
    for (const auto& statement : migrationd::SplitSqlStatements(text, 1, dialect)) {
      if (statement.line < 1 || statement.line > lines) __builtin_trap();
      if (text.find(statement.text) == std::string_view::npos) __builtin_trap();
    }
  }
  auto script = migrationd::ParseScript(text, "fuzz.sql");
  if (!script.ok()) {
    if (script.status().message().find("fuzz.sql") == std::string::npos) __builtin_trap();
    return 0;
  }
  for (auto direction : {migrationd::Direction::kUpgrade, migrationd::Direction::kDowngrade}) {
    for (const char* dialect : {"sqlite", "postgresql"}) {
      for (const auto& statement : script->Statements(direction, dialect)) {
        if (statement.line < 1) __builtin_trap();
      }
      (void)script->Checksum(dialect);
    }
  }
  return 0;
}
