#include "core/base/maintenance_window.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

namespace migrationd {
namespace {

constexpr std::array<const char*, 7> kShortDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr std::array<const char*, 7> kLongDays = {"monday", "tuesday",  "wednesday", "thursday",
                                                  "friday", "saturday", "sunday"};
constexpr int kSecondsPerDay = 24 * 60 * 60;

// A cursor over the spec that knows its column for errors.
class SpecReader {
 public:
  explicit SpecReader(const std::string& spec) : spec_(spec) {}

  bool AtEnd() const { return pos_ >= spec_.size(); }
  char Peek() const { return AtEnd() ? '\0' : spec_[pos_]; }
  size_t column() const { return pos_ + 1; }
  bool Consume(std::string_view text) {
    if (spec_.compare(pos_, text.size(), text) != 0) return false;
    pos_ += text.size();
    return true;
  }
  // A run of letters, or of digits and ':' (a time), starting here.
  std::string Word(bool letters) {
    size_t begin = pos_;
    while (!AtEnd() &&
           (letters ? std::isalpha(static_cast<unsigned char>(Peek())) != 0
                    : std::isdigit(static_cast<unsigned char>(Peek())) != 0 || Peek() == ':')) {
      ++pos_;
    }
    return spec_.substr(begin, pos_ - begin);
  }
  bool SkipSpaces() {
    size_t begin = pos_;
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t')) ++pos_;
    return pos_ > begin;
  }
  Status Error(size_t column, const std::string& what) const {
    return Status::InvalidArgument("maintenance window '" + spec_ + "': column " +
                                   std::to_string(column) + ": " + what +
                                   "; write it as [WEEKDAYS] HH:MM..HH:MM [UTC], e.g. 'Sat,Sun "
                                   "02:00..04:00 UTC' (seconds optional: HH:MM:SS)");
  }

 private:
  const std::string& spec_;
  size_t pos_ = 0;
};

std::optional<int> DayIndex(std::string word) {
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < kShortDays.size(); ++i) {
    if (word == kShortDays[i] || word == kLongDays[i]) return static_cast<int>(i);
  }
  return std::nullopt;
}

Result<int> ReadDay(SpecReader& reader) {
  const size_t column = reader.column();
  const std::string word = reader.Word(true);
  auto day = DayIndex(word);
  if (!day) {
    return reader.Error(column, word.empty() ? "expected a weekday"
                                             : "'" + word +
                                                   "' is not a weekday (Mon, Tue, Wed, Thu, "
                                                   "Fri, Sat, Sun, or the full name)");
  }
  return *day;
}

Status ReadWeekdays(SpecReader& reader, std::bitset<7>& days) {
  while (true) {
    auto first = ReadDay(reader);
    if (!first.ok()) return first.status();
    int last = *first;
    if (reader.Consume("..")) {
      auto end = ReadDay(reader);
      if (!end.ok()) return end.status();
      last = *end;
    }
    // Mon..Fri; Fri..Mon wraps over the weekend, as one would read it.
    for (int day = *first;; day = (day + 1) % 7) {
      days.set(static_cast<size_t>(day));
      if (day == last) break;
    }
    if (!reader.Consume(",")) return Status::Ok();
  }
}

// HH:MM or HH:MM:SS, in seconds after midnight; `end` also accepts 24:00.
Result<int> ReadTime(SpecReader& reader, bool end) {
  const size_t column = reader.column();
  const std::string word = reader.Word(false);
  auto two_digits = [&](size_t at) {
    return std::isdigit(static_cast<unsigned char>(word[at])) != 0 &&
           std::isdigit(static_cast<unsigned char>(word[at + 1])) != 0;
  };
  const bool shaped = (word.size() == 5 || (word.size() == 8 && word[5] == ':' && two_digits(6))) &&
                      word[2] == ':' && two_digits(0) && two_digits(3);
  if (!shaped) {
    return reader.Error(column, word.empty() ? "expected a time HH:MM"
                                             : "'" + word +
                                                   "' is not a time HH:MM or HH:MM:SS "
                                                   "(two digits each, 24-hour clock)");
  }
  auto number = [&](size_t at) { return (word[at] - '0') * 10 + (word[at + 1] - '0'); };
  const int hours = number(0);
  const int minutes = number(3);
  const int seconds = word.size() == 8 ? number(6) : 0;
  const bool midnight_end = end && hours == 24 && minutes == 0 && seconds == 0;
  if ((hours > 23 && !midnight_end) || minutes > 59 || seconds > 59) {
    return reader.Error(column, "'" + word + "' is not a time of day (00:00 to 23:59:59" +
                                    (end ? std::string(", or 24:00 as an end)") : ")"));
  }
  return (hours * 60 + minutes) * 60 + seconds;
}

// The instant of `second` seconds after midnight, `day_offset` days from `base` (a civil date
// in the window's zone). mktime/timegm normalise the overflowing day and second.
MaintenanceSchedule::Clock::time_point At(std::tm base, int day_offset, int second, bool utc) {
  base.tm_mday += day_offset;
  base.tm_hour = 0;
  base.tm_min = 0;
  base.tm_sec = second;
  base.tm_isdst = -1;
  const std::time_t time = utc ? timegm(&base) : std::mktime(&base);
  return MaintenanceSchedule::Clock::from_time_t(time);
}

}  // namespace

Result<MaintenanceWindow> MaintenanceWindow::Parse(const std::string& spec) {
  MaintenanceWindow window;
  window.spec = spec;
  SpecReader reader(spec);
  reader.SkipSpaces();
  if (std::isalpha(static_cast<unsigned char>(reader.Peek())) != 0) {
    MIGRATIOND_RETURN_IF_ERROR(ReadWeekdays(reader, window.weekdays));
    if (!reader.SkipSpaces()) {
      return reader.Error(reader.column(), "expected a space, then the times HH:MM..HH:MM");
    }
  } else {
    window.weekdays.set();
  }
  auto start = ReadTime(reader, false);
  if (!start.ok()) return start.status();
  if (!reader.Consume("..")) {
    return reader.Error(reader.column(), "expected '..' between the start and the end time");
  }
  auto end = ReadTime(reader, true);
  if (!end.ok()) return end.status();
  window.start_second = *start;
  window.end_second = *end;
  if (window.start_second == window.end_second) {
    return reader.Error(1, "the window opens and closes at the same time");
  }
  const bool spaced = reader.SkipSpaces();
  if (!reader.AtEnd()) {
    const size_t column = reader.column();
    const std::string zone = reader.Word(true);
    if (!spaced || zone != "UTC") {
      return reader.Error(column,
                          "expected the end of the window or ' UTC' (no zone: the host's "
                          "local time)");
    }
    window.utc = true;
    reader.SkipSpaces();
    if (!reader.AtEnd()) return reader.Error(reader.column(), "unexpected text after the zone");
  }
  return window;
}

std::vector<MaintenanceSchedule::Opening> MaintenanceSchedule::OpeningsAround(
    Clock::time_point from) const {
  std::vector<Opening> openings;
  const std::time_t now = Clock::to_time_t(from);
  for (const auto& window : windows_) {
    std::tm today{};
    if (window.utc) {
      gmtime_r(&now, &today);
    } else {
      localtime_r(&now, &today);
    }
    const int span = window.end_second > window.start_second
                         ? window.end_second - window.start_second
                         : window.end_second + kSecondsPerDay - window.start_second;
    for (int offset = -1; offset <= 8; ++offset) {
      Clock::time_point opens = At(today, offset, window.start_second, window.utc);
      // The weekday of the opening's own date, in the window's zone.
      const std::time_t opens_time = Clock::to_time_t(opens);
      std::tm opened{};
      if (window.utc) {
        gmtime_r(&opens_time, &opened);
      } else {
        localtime_r(&opens_time, &opened);
      }
      if (!window.weekdays.test(static_cast<size_t>((opened.tm_wday + 6) % 7))) continue;
      openings.push_back({opens, At(today, offset, window.start_second + span, window.utc)});
    }
  }
  std::sort(openings.begin(), openings.end(),
            [](const Opening& a, const Opening& b) { return a.opens < b.opens; });
  return openings;
}

std::optional<MaintenanceSchedule::Clock::time_point> MaintenanceSchedule::OpenUntil(
    Clock::time_point now) const {
  if (!restricted()) return std::nullopt;
  std::optional<Clock::time_point> until;
  // Sorted by opening: one pass joins every opening that starts before the stretch ends.
  for (const Opening& opening : OpeningsAround(now)) {
    if (until) {
      if (opening.opens <= *until) until = std::max(*until, opening.closes);
    } else if (opening.opens <= now && now < opening.closes) {
      until = opening.closes;
    }
  }
  return until;
}

bool MaintenanceSchedule::IsOpen(Clock::time_point now) const {
  return !restricted() || OpenUntil(now).has_value();
}

std::optional<MaintenanceSchedule::Opening> MaintenanceSchedule::NextOpening(
    Clock::time_point now) const {
  if (!restricted()) return std::nullopt;
  for (const Opening& opening : OpeningsAround(now)) {
    if (opening.opens > now) {
      auto closes = OpenUntil(opening.opens);
      return Opening{opening.opens, closes.value_or(opening.closes)};
    }
  }
  return std::nullopt;  // a window with no weekday cannot be parsed, so this is not reached
}

std::string MaintenanceSchedule::DescribeTime(Clock::time_point time) {
  const std::time_t seconds = Clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::strftime(text, sizeof(text), "%a %Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace migrationd
