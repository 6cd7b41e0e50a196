// Maintenance windows: when the daemon may change a database's schema.
//
// A window is written in a subset of systemd's calendar-event syntax, one window per spec:
//
//   [WEEKDAYS] HH:MM[:SS]..HH:MM[:SS] [UTC]
//
//   Sat,Sun 02:00..04:00 UTC     Saturdays and Sundays, two hours, in UTC
//   Mon..Fri 22:00..01:30        weekday nights in the host's local time, past midnight
//   03:00..03:30 UTC             every day
//
// WEEKDAYS is a comma-separated list of days or day ranges (Mon..Fri), with English names,
// short or long, in any case; none means every day. An end at or before the start ends on the
// next day (the window belongs to the day it opens). Without a zone, times are the host's local
// time (as in systemd timers); `UTC` fixes them. Parsing is strict: anything else is an error
// naming the column. Pure logic; thread-safe (const after parsing).
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace migrationd {

struct MaintenanceWindow {
  std::string spec;         // as written, for messages and `status`
  std::bitset<7> weekdays;  // bit 0: Monday ... bit 6: Sunday
  int start_second = 0;     // seconds after midnight
  int end_second = 0;       // seconds after midnight; <= start: the next day
  bool utc = false;         // false: the host's local time

  // Parses one spec; errors name the column (1-based) and what was expected there.
  static Result<MaintenanceWindow> Parse(const std::string& spec);
};

// A set of windows (none configured: always open).
class MaintenanceSchedule {
 public:
  using Clock = std::chrono::system_clock;
  // An opening: from `opens` to `closes`.
  struct Opening {
    Clock::time_point opens;
    Clock::time_point closes;
  };

  MaintenanceSchedule() = default;
  explicit MaintenanceSchedule(std::vector<MaintenanceWindow> windows)
      : windows_(std::move(windows)) {}

  bool restricted() const { return !windows_.empty(); }
  const std::vector<MaintenanceWindow>& windows() const { return windows_; }
  // When a window is open at `now`: when the open stretch ends (overlapping and back-to-back
  // windows joined). Unrestricted: never closes, so nullopt with IsOpen() true.
  std::optional<Clock::time_point> OpenUntil(Clock::time_point now) const;
  bool IsOpen(Clock::time_point now) const;
  // The first opening after `now` (one that started before `now` does not count); nullopt when
  // unrestricted.
  std::optional<Opening> NextOpening(Clock::time_point now) const;
  // "the maintenance window closed"... phrases: "Sat 2026-11-28 02:00 UTC".
  static std::string DescribeTime(Clock::time_point time);

 private:
  // Every opening of every window that overlaps [from - 1 day, from + 8 days].
  std::vector<Opening> OpeningsAround(Clock::time_point from) const;

  std::vector<MaintenanceWindow> windows_;
};

}  // namespace migrationd
