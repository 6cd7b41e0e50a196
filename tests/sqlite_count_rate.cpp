// Prints the rows a second of the tests' SQLite busy count (tests/sqlite_count.h) in this build.
// The daemon tests run it from the daemon's build directory: under ASan and TSan, whose malloc
// the count's queue goes through, it runs 4 to 6 times slower than in a normal build, and the
// TSan stage runs the normal test binary against a TSan daemon.
#include <cstdio>

#include "tests/sqlite_count.h"

int main() {
  std::printf("%ld\n", migrationd::testing::MeasureCountRate());
  return 0;
}
