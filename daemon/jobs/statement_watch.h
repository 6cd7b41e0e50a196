// StatementWatch: what a migration's statements are doing on the live database, told while they
// run.
//
// A thread of its own asks the server, on a connection of its own, what the migration's session
// does (Backend::ObserveSession), a few times a second. A statement that has waited for a table
// lock longer than `blocker_report_after` gets its blockers named (pid, application@address,
// user, state, how long, their query) in an event each time they change, in `status` and in the
// log; a statement that runs longer than `progress_every` gets an event every `progress_every`
// with the elapsed time and what the server says it is doing (the wait event; for index builds,
// CLUSTER, VACUUM FULL and COPY the phase and fraction). Best effort: it only ever adds
// information, and stops quietly when it cannot connect. SQLite has no server: its connections
// tell what they run and whether they wait for the file's lock to a board in this process
// (core/sqlite/sqlite_activity.cpp), which ObserveSession reads the same way.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/db/backend.h"
#include "core/db/database_url.h"

namespace migrationd {

struct StatementWatchOptions {
  std::chrono::milliseconds blocker_report_after{200};
  std::chrono::milliseconds progress_every{2000};
};

// What the watch tells, as it happens. `kind`: blocked or progress; `text` for an operator;
// `elapsed_ms` of the statement; `fraction` 0..1 or -1.
struct StatementReport {
  enum Kind { kBlocked, kProgress } kind = kProgress;
  std::string text;
  double elapsed_ms = 0;
  double fraction = -1;
};

class StatementWatch {
 public:
  // `session_id`: the migration connection's (Backend::SessionId); empty: nothing is watched.
  // `report` is called on the watch's thread; `stage` too, with what `status` should show (""
  // when the statement ended).
  StatementWatch(const DatabaseUrl& url, std::string session_id, StatementWatchOptions options,
                 std::function<void(const StatementReport&)> report,
                 std::function<void(const std::string&)> stage);
  ~StatementWatch();
  StatementWatch(const StatementWatch&) = delete;
  StatementWatch& operator=(const StatementWatch&) = delete;

  // The sessions that last blocked a statement, described ("" if none did): for the error of a
  // statement that gave up waiting.
  std::string LastBlockers() const;
  // A revision starts, or ends: the server is asked only while one has run for longer than
  // blocker_report_after, so a migration of fast revisions costs the server no query at all.
  void StepStarted();
  void StepEnded();

 private:
  void Run();
  void Observe(Backend& connection);

  DatabaseUrl url_;
  std::string session_id_;
  StatementWatchOptions options_;
  std::function<void(const StatementReport&)> report_;
  std::function<void(const std::string&)> stage_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;      // guarded by mutex_
  std::string last_blockers_;  // guarded by mutex_
  // When the running revision started (guarded by mutex_); nullopt between revisions.
  std::optional<std::chrono::steady_clock::time_point> step_since_;
  // The watch thread's own state.
  std::string statement_;  // the statement seen running ("" when none)
  double reported_progress_ms_ = 0;
  std::string reported_blockers_;
  bool stage_shown_ = false;
  bool open_failed_ = false;  // thread only: its connection could not be opened (logged once)
  std::thread thread_;        // last: started once everything above exists
};

// "12 s", "3 min": how long, for an operator.
std::string DescribeElapsed(double ms);

}  // namespace migrationd
