// Offline SQL: the exact statements an upgrade or downgrade would run, with migrationd's own
// version-table statements and the transaction boundaries, printed from the scripts alone (no
// daemon, no database), for a DBA to review or to run by hand (`migctl upgrade --sql`).
//
// Run as printed, the result is what the daemon would have left: the schema, the version rows,
// and one history row per revision with the script's checksum (so `migctl check` and later
// upgrades accept it). The migration lock is not taken: no daemon may migrate the database at
// the same time. Pure: text in, text out.
#pragma once

#include <string>
#include <vector>

#include "core/scripts/script_directory.h"

namespace migrationd {

struct OfflineRequest {
  std::string dialect;  // sqlite | postgresql
  Direction direction = Direction::kUpgrade;
  std::vector<std::string> from;  // the database's revision(s) now (empty: base)
  std::string to;                 // the target, as for upgrade/downgrade
  std::string generated_by;       // "alice@host, migctl 0.1.0": recorded in history
};

Result<std::string> OfflineSql(const ScriptDirectory& scripts, const OfflineRequest& request);

// 'text' with quotes doubled.
std::string SqlLiteral(const std::string& text);

}  // namespace migrationd
