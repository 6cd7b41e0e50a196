// Where log lines go and how they look. Always stderr. Under systemd (stderr is the journal
// stream JOURNAL_STREAM names) each line starts with its syslog priority, "<4>" for a warning,
// and carries no timestamp (the journal has its own): `journalctl -p warning` then finds the
// start-up warning. Anywhere else: "2026-11-26T17:32:23.123Z warning ...", UTC.
#pragma once

#include <string>

namespace migrationd {

void SetUpLogging(const std::string& level);
// Whether stderr is the stream JOURNAL_STREAM ("device:inode") names; a child that inherited the
// variable but writes elsewhere is not.
bool StderrIsJournal();

// The database a thread works for, while it does: a daemon that serves several databases
// starts each of their log lines with "[NAME] " (an empty name adds nothing). Set where work for
// one database enters a thread: its requests, its jobs, its start-up, its timers.
class LogTag {
 public:
  explicit LogTag(const std::string& database);
  // The calling thread's database, for a thread it starts to carry on (LogTag(Current())).
  static std::string Current();
  ~LogTag();
  LogTag(const LogTag&) = delete;
  LogTag& operator=(const LogTag&) = delete;

 private:
  std::string previous_;
};

}  // namespace migrationd
