#include "core/scripts/version_tables.h"

#include "core/scripts/script.h"

namespace migrationd {

std::vector<std::string> VersionTablesDdlFor(std::string_view dialect) {
  const bool sqlite = dialect == kDialectSqlite;
  return {
      // SQLite: WITHOUT ROWID, one b-tree. A rowid table with a TEXT key keeps a second one
      // for the key's index, and each step's commit wrote a page of each (a page more than the
      // application's own version table costs; databases made before keep theirs).
      std::string("CREATE TABLE IF NOT EXISTS migrationd_version (revision TEXT PRIMARY KEY NOT"
                  " NULL)") +
          (sqlite ? " WITHOUT ROWID" : ""),
      // SQLite: a rowid alias without AUTOINCREMENT. Rows are only ever appended, so ids still
      // grow, and each step's commit does not also rewrite a page of sqlite_sequence (databases
      // made before keep their AUTOINCREMENT table: IF NOT EXISTS).
      std::string("CREATE TABLE IF NOT EXISTS migrationd_history (") +
          (sqlite ? " id INTEGER PRIMARY KEY,"
                  : " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,") +
          " revision TEXT NOT NULL,"
          " direction TEXT NOT NULL,"
          " checksum TEXT,"
          " started_at TEXT NOT NULL,"
          " finished_at TEXT NOT NULL," +
          (sqlite ? " duration_ms REAL NOT NULL," : " duration_ms DOUBLE PRECISION NOT NULL,") +
          " outcome TEXT NOT NULL,"
          " error TEXT,"
          " heads_after TEXT," +
          (sqlite ? " user_uid INTEGER," : " user_uid BIGINT,") +
          " user_name TEXT,"
          " host TEXT," +
          (sqlite ? " daemon_pid INTEGER," : " daemon_pid BIGINT,") + " backup_id TEXT)",
      // One row per `transaction: none` step that started and has not finished.
      "CREATE TABLE IF NOT EXISTS migrationd_progress ("
      " revision TEXT PRIMARY KEY NOT NULL,"
      " direction TEXT NOT NULL,"
      " statements_total INTEGER NOT NULL,"
      " statements_done INTEGER NOT NULL,"
      " done_checksum TEXT NOT NULL,"
      " error TEXT,"
      " updated_at TEXT NOT NULL)",
  };
}

}  // namespace migrationd
