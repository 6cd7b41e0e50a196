// The recursive count the daemon tests use to keep a SQLite connection busy for a while, and
// how fast it runs (tests/sqlite_count_rate.cpp measures it in the daemon's own build).
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <chrono>
#include <string>

namespace migrationd::testing {

inline std::string RecursiveCount(long rows) {
  return "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " +
         std::to_string(rows) + ") SELECT count(*) FROM c;";
}

// Rows a second the count runs at in this process: the fastest of five short runs.
inline long MeasureCountRate() {
  SQLite::Database db(":memory:");
  constexpr long kRows = 400'000;
  double fastest = 1e9;
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    db.execAndGet(RecursiveCount(kRows));
    fastest = std::min(
        fastest, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return static_cast<long>(static_cast<double>(kRows) / fastest);
}

}  // namespace migrationd::testing
