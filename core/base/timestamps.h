// ISO 8601 UTC timestamps as the version tables, manifests, replies and messages write them.
#pragma once

#include <chrono>
#include <string>

namespace migrationd {

// "2026-11-25T17:32:23.123Z" for `time` (UTC).
std::string FormatIsoTimestamp(std::chrono::system_clock::time_point time);

// Parses such a timestamp (the milliseconds are ignored) back into a time point; the epoch if
// it is not one.
std::chrono::system_clock::time_point ParseIsoTimestamp(const std::string& text);

}  // namespace migrationd
