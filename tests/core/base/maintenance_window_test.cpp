// Maintenance windows: the spec parser and the open/next computations, on fixed UTC instants.
#include "core/base/maintenance_window.h"

#include <catch2/catch.hpp>
#include <ctime>

namespace migrationd {
namespace {

using Clock = MaintenanceSchedule::Clock;

// 2026-11-28 is a Saturday.
Clock::time_point Utc(int year, int month, int day, int hour, int minute) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  return Clock::from_time_t(timegm(&tm));
}

MaintenanceSchedule Schedule(std::initializer_list<const char*> specs) {
  std::vector<MaintenanceWindow> windows;
  for (const char* spec : specs) {
    auto window = MaintenanceWindow::Parse(spec);
    INFO(spec);
    REQUIRE(window.ok());
    windows.push_back(*window);
  }
  return MaintenanceSchedule(std::move(windows));
}

std::string ParseError(const std::string& spec) {
  auto window = MaintenanceWindow::Parse(spec);
  REQUIRE_FALSE(window.ok());
  return window.status().message();
}

TEST_CASE("a window spec is parsed into weekdays, minutes and zone", "[windows]") {
  auto weekend = MaintenanceWindow::Parse("Sat,Sun 02:00..04:00 UTC");
  REQUIRE(weekend.ok());
  CHECK(weekend->weekdays.to_string() == "1100000");  // bit 6 Sunday ... bit 0 Monday
  CHECK(weekend->start_second == 2 * 3600);
  CHECK(weekend->end_second == 4 * 3600);
  CHECK(weekend->utc);

  auto weeknights = MaintenanceWindow::Parse("mon..FRIDAY 22:00..01:30");
  REQUIRE(weeknights.ok());
  CHECK(weeknights->weekdays.to_string() == "0011111");
  CHECK_FALSE(weeknights->utc);

  auto seconds = MaintenanceWindow::Parse("12:00:30..12:10:00");
  REQUIRE(seconds.ok());
  CHECK(seconds->start_second == 12 * 3600 + 30);

  auto daily = MaintenanceWindow::Parse("00:00..24:00 UTC");
  REQUIRE(daily.ok());
  CHECK(daily->weekdays.all());

  auto wrapping = MaintenanceWindow::Parse("Fri..Mon 10:00..11:00 UTC");
  REQUIRE(wrapping.ok());
  CHECK(wrapping->weekdays.to_string() == "1110001");
}

TEST_CASE("a malformed window spec is refused with the column named", "[windows]") {
  CHECK_THAT(ParseError("Sat,Sum 02:00..04:00 UTC"),
             Catch::Contains("column 5: 'Sum' is not a weekday"));
  CHECK_THAT(ParseError("Sat 2:00..04:00"), Catch::Contains("column 5: '2:00' is not a time"));
  CHECK_THAT(ParseError("Sat 02:00:60..04:00"), Catch::Contains("column 5: '02:00:60' is not"));
  CHECK_THAT(ParseError("Sat 02:00:5..04:00"), Catch::Contains("column 5: '02:00:5' is not"));
  CHECK_THAT(ParseError("Sat 02:00-04:00"), Catch::Contains("column 10: expected '..'"));
  CHECK_THAT(ParseError("Sat 02:00..25:00"), Catch::Contains("column 12: '25:00' is not a time"));
  CHECK_THAT(ParseError("Sat 24:00..02:00"), Catch::Contains("column 5: '24:00' is not a time"));
  CHECK_THAT(ParseError("Sat 02:00..04:00 CET"), Catch::Contains("column 18: expected the end"));
  CHECK_THAT(ParseError("Sat 02:00..04:00UTC"), Catch::Contains("column 17: expected the end"));
  CHECK_THAT(ParseError("Sat 02:00..02:00"), Catch::Contains("opens and closes at the same"));
  CHECK_THAT(ParseError("Sat02:00..04:00"), Catch::Contains("column 4: expected a space"));
  CHECK_THAT(ParseError("Sat, 02:00..04:00"), Catch::Contains("column 5: expected a weekday"));
  CHECK_THAT(ParseError(""), Catch::Contains("column 1: expected a time"));
  CHECK_THAT(ParseError("Sat 02:00..04:00 UTC x"), Catch::Contains("column 22: unexpected text"));
}

TEST_CASE("a schedule knows when it is open, until when, and the next opening", "[windows]") {
  const auto schedule = Schedule({"Sat,Sun 02:00..04:00 UTC"});
  // Friday noon: closed; next opening Saturday 02:00.
  const auto friday = Utc(2026, 11, 27, 12, 0);
  CHECK_FALSE(schedule.IsOpen(friday));
  auto next = schedule.NextOpening(friday);
  REQUIRE(next);
  CHECK(next->opens == Utc(2026, 11, 28, 2, 0));
  CHECK(next->closes == Utc(2026, 11, 28, 4, 0));
  // Saturday 03:00: open until 04:00; the next opening is Sunday's.
  const auto saturday = Utc(2026, 11, 28, 3, 0);
  REQUIRE(schedule.OpenUntil(saturday) == Utc(2026, 11, 28, 4, 0));
  CHECK(schedule.NextOpening(saturday)->opens == Utc(2026, 11, 29, 2, 0));
  // The end is exclusive; Sunday 04:00 is closed and the next opening is a week later.
  CHECK_FALSE(schedule.IsOpen(Utc(2026, 11, 29, 4, 0)));
  CHECK(schedule.NextOpening(Utc(2026, 11, 29, 4, 0))->opens == Utc(2026, 12, 5, 2, 0));
  CHECK(MaintenanceSchedule::DescribeTime(next->opens) == "Sat 2026-11-28T02:00:00Z");
}

TEST_CASE("a window past midnight belongs to the day it opens, and windows join", "[windows]") {
  const auto nights = Schedule({"Fri 23:00..01:00 UTC"});
  CHECK(nights.OpenUntil(Utc(2026, 11, 28, 0, 30)) == Utc(2026, 11, 28, 1, 0));  // Sat 00:30
  CHECK_FALSE(nights.IsOpen(Utc(2026, 11, 29, 0, 30)));                          // Sun 00:30

  const auto joined =
      Schedule({"Sat 02:00..03:00 UTC", "Sat 03:00..05:00 UTC", "Sat 04:00..06:00 UTC"});
  CHECK(joined.OpenUntil(Utc(2026, 11, 28, 2, 10)) == Utc(2026, 11, 28, 6, 0));
  CHECK(joined.NextOpening(Utc(2026, 11, 27, 0, 0))->closes == Utc(2026, 11, 28, 6, 0));

  const MaintenanceSchedule unrestricted;
  CHECK(unrestricted.IsOpen(Utc(2026, 11, 27, 12, 0)));
  CHECK_FALSE(unrestricted.OpenUntil(Utc(2026, 11, 27, 12, 0)));
  CHECK_FALSE(unrestricted.NextOpening(Utc(2026, 11, 27, 12, 0)));
}

}  // namespace
}  // namespace migrationd
