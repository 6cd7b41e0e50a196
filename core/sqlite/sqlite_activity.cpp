// SqliteBackend's side of the statement watch (Backend::SessionId, ObserveSession) and its lock
// wait. SQLite has no server to ask what a connection does: the connections of this process
// that a watch follows write what they run, and whether they wait for the database's lock, on
// a board that the watch's own connection (another thread) reads. The lock wait is a busy
// handler of ours instead of sqlite3_busy_timeout, so that the board knows it is waiting.
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "core/sqlite/sqlite_backend.h"

namespace migrationd {
namespace {

using Clock = std::chrono::steady_clock;

struct BoardEntry {
  bool running = false;
  std::string statement;  // its start, on one line
  Clock::time_point started;
  // The busy handler's last call during this statement: it is called at least every 100 ms
  // while the statement waits for the lock.
  std::optional<Clock::time_point> last_wait;
};

struct Board {
  std::mutex mutex;
  std::map<std::string, BoardEntry> sessions;
};

Board& TheBoard() {
  static Board board;
  return board;
}

// Waiting, rather than running after a wait: the busy handler was called this recently.
constexpr auto kStillWaiting = std::chrono::milliseconds(300);

}  // namespace

std::string SqliteBackend::SessionId() {
  if (session_id_.empty()) {
    static std::atomic<uint64_t> next{1};
    session_id_ = "sqlite:" + std::to_string(getpid()) + ":" + std::to_string(next++);
    std::lock_guard lock(TheBoard().mutex);
    TheBoard().sessions[session_id_] = {};
  }
  return session_id_;
}

void SqliteBackend::LeaveBoard() {
  if (session_id_.empty()) return;
  std::lock_guard lock(TheBoard().mutex);
  TheBoard().sessions.erase(session_id_);
}

void SqliteBackend::ShowStatement(const std::string* sql) {
  if (session_id_.empty()) return;  // nobody watches this connection
  std::string line = sql != nullptr ? StatementOnOneLine(*sql, 120) : "";
  std::lock_guard lock(TheBoard().mutex);
  BoardEntry& entry = TheBoard().sessions[session_id_];
  entry.running = sql != nullptr;
  entry.statement = std::move(line);
  entry.started = Clock::now();
  entry.last_wait.reset();
}

int SqliteBackend::WaitForLock(void* self, int attempt) {
  auto& backend = *static_cast<SqliteBackend*>(self);
  const auto now = Clock::now();
  if (attempt == 0) backend.busy_since_ = now;
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - backend.busy_since_);
  const auto timeout = std::chrono::milliseconds(backend.busy_timeout_ms_);
  if (waited >= timeout) return 0;  // SQLITE_BUSY: the caller retries as after a lock timeout
  if (!backend.session_id_.empty()) {
    std::lock_guard lock(TheBoard().mutex);
    TheBoard().sessions[backend.session_id_].last_wait = now;
  }
  // SQLite's own busy_timeout steps: short first (most locks are released within
  // milliseconds), then 100 ms.
  static constexpr int kDelaysMs[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
  const auto count = static_cast<int>(std::size(kDelaysMs));
  const int step = attempt < count ? kDelaysMs[attempt] : kDelaysMs[count - 1];
  std::this_thread::sleep_for(std::min(std::chrono::milliseconds(step), timeout - waited));
  return 1;
}

Result<SessionActivity> SqliteBackend::ObserveSession(const std::string& session_id) {
  BoardEntry entry;
  {
    std::lock_guard lock(TheBoard().mutex);
    auto found = TheBoard().sessions.find(session_id);
    if (found == TheBoard().sessions.end()) {
      return Status::NotFound("no SQLite connection of this process is " + session_id);
    }
    entry = found->second;
  }
  SessionActivity activity;
  if (!entry.running) return activity;
  const auto now = Clock::now();
  activity.running = true;
  activity.statement = entry.statement;
  activity.running_ms = std::chrono::duration<double, std::milli>(now - entry.started).count();
  if (entry.last_wait && now - *entry.last_wait < kStillWaiting) {
    activity.wait_event = "Lock:database";
    activity.lock_wanted = "the database file";
    // Read on this (the watch's) connection: the same file, another connection than the one
    // that waits.
    const std::string holders = DescribeLockHolders();
    activity.blocked_by = {holders.empty() ? "another connection" : holders};
  }
  return activity;
}

}  // namespace migrationd
