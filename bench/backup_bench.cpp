// backup_bench: helpers for bench/backup-stall, which measures how long a writer to a SQLite
// database is stalled while a backup runs (migrationd's stepped online backup against the
// sqlite3 CLI's `.backup`).
//
//   backup_bench fill DB SIZE_MB MODE   a database of about SIZE_MB with a ledger table, in
//                                       journal mode MODE (delete or wal)
//   backup_bench write DB           commits one small transaction after another until SIGTERM,
//                                   then prints: commits, max and p99 commit latency (ms)
#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {

std::atomic<bool> stop{false};

int Fill(const std::string& path, long size_mb, const std::string& journal_mode) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA journal_mode = " + journal_mode);
  db.exec("CREATE TABLE IF NOT EXISTS bulk (id INTEGER PRIMARY KEY, data BLOB)");
  db.exec("CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, amount INTEGER)");
  const long rows = size_mb * 16;  // 64 KiB each
  SQLite::Transaction tx(db);
  SQLite::Statement insert(db, "INSERT INTO bulk (data) VALUES (randomblob(65536))");
  for (long i = 0; i < rows; ++i) {
    insert.exec();
    insert.reset();
  }
  tx.commit();
  return 0;
}

int Write(const std::string& path) {
  signal(SIGTERM, [](int) { stop = true; });
  SQLite::Database db(path, SQLite::OPEN_READWRITE, 60000);
  std::vector<double> latencies;
  while (!stop) {
    auto started = std::chrono::steady_clock::now();
    db.exec("INSERT INTO ledger (amount) VALUES (1)");
    latencies.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count());
    usleep(1000);
  }
  std::sort(latencies.begin(), latencies.end());
  double p99 = latencies.empty() ? 0 : latencies[latencies.size() * 99 / 100];
  std::printf("%zu %.1f %.1f\n", latencies.size(), latencies.empty() ? 0 : latencies.back(), p99);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fill" && argc == 5) return Fill(argv[2], std::stol(argv[3]), argv[4]);
  if (mode == "write" && argc == 3) return Write(argv[2]);
  std::fprintf(stderr, "usage: backup_bench fill DB SIZE_MB MODE | write DB\n");
  return 2;
}
