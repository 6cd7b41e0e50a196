#include "core/base/timestamps.h"

#include <time.h>

#include <cstdio>
#include <ctime>
#include <iomanip>
#include <sstream>

namespace migrationd {

std::string FormatIsoTimestamp(std::chrono::system_clock::time_point time) {
  auto since_epoch = time.time_since_epoch();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  std::time_t as_time_t = seconds.count();
  std::tm utc{};
  gmtime_r(&as_time_t, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
  char result[48];
  std::snprintf(result, sizeof(result), "%s.%03dZ", buffer, static_cast<int>(millis.count()));
  return result;
}

std::chrono::system_clock::time_point ParseIsoTimestamp(const std::string& text) {
  std::tm utc{};
  std::istringstream in(text);
  in >> std::get_time(&utc, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return {};
  return std::chrono::system_clock::from_time_t(timegm(&utc));
}

}  // namespace migrationd
