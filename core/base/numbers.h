// Numbers read from places the daemon does not control (its own tables, which any database user
// with rights may edit; lock files; tool output): parsed without exceptions, with a fallback.
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>

namespace migrationd {

inline int64_t ParseInt64Or(std::string_view text, int64_t fallback) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : fallback;
}

inline double ParseDoubleOr(std::string_view text, double fallback) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : fallback;
}

}  // namespace migrationd
