// The DDL of migrationd's own tables on each engine: one place for the backends (which create
// them) and for offline SQL (which prints them). Text only; no database.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace migrationd {

// CREATE TABLE IF NOT EXISTS for migrationd_version, migrationd_history, migrationd_progress.
std::vector<std::string> VersionTablesDdlFor(std::string_view dialect);

}  // namespace migrationd
