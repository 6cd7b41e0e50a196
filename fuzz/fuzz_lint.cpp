// The linter reads scripts a developer wrote, statement by statement, with PostgreSQL's parser
// and with SQLite in memory: any text must end in findings that point at lines of the file,
// never a crash, a hang, or a file written (the SQLite copy runs what the script says).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/lint/lint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string sql(reinterpret_cast<const char*>(data), size);
  const std::string text =
      "-- revision: 001_fuzz\n-- parents:\n-- message: m\n-- transaction: per-migration\n\n"
      "-- +upgrade\n" +
      sql + "\n-- +downgrade\n";
  auto script = migrationd::ParseScript(text, "fuzz.sql");
  if (!script.ok()) return 0;
  const auto before = migrationd::ParseScript(
      "-- revision: 000_base\n-- parents:\n-- message: m\n\n-- +upgrade\n"
      "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INT);\n"
      "CREATE INDEX ix_t_n ON t (n);\n-- +downgrade\n",
      "base.sql");
  if (!before.ok()) __builtin_trap();
  const long lines = 1 + static_cast<long>(std::count(text.begin(), text.end(), '\n'));
  for (const char* dialect : {"sqlite", "postgresql"}) {
    for (const bool alone : {false, true}) {
      migrationd::LintOptions options;
      options.dialect = dialect;
      options.each_revision_alone = alone;
      const auto report = migrationd::LintRevisions({&*before}, {&*script}, options);
      for (const auto& finding : report.findings) {
        if (finding.line < 1 || finding.line > lines) __builtin_trap();
        if (migrationd::FindLintRule(finding.rule) == nullptr) __builtin_trap();
      }
    }
  }
  return 0;
}
