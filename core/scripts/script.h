// Script: one migration revision as read from its plain-SQL file, and the parser for that format.
//
//   -- revision: 003_add_script_version_management
//   -- parents: 002_add_indexes            (comma-separated; empty for a base revision)
//   -- message: add script version management
//   -- transaction: per-migration          (or: none)
//   -- +upgrade                            (common SQL)
//   -- +upgrade postgresql                 (replaces the common section on that dialect)
//   -- +downgrade
//
// The parser is shared by migrationd and by `migctl revision`, so there is one definition of the
// format. Pure functions and plain values; thread-compatible.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/scripts/sql_splitter.h"

namespace migrationd {

// The SQL dialects a section may be written for. Names are those used in script files and URLs.
inline constexpr std::string_view kDialectSqlite = "sqlite";
inline constexpr std::string_view kDialectPostgresql = "postgresql";
bool IsKnownDialect(std::string_view dialect);

enum class TransactionMode { kPerMigration, kNone };
enum class Direction { kUpgrade, kDowngrade, kStamp, kRepair };
const char* DirectionName(Direction direction);

struct ScriptSection {
  std::string sql;
  int first_line = 0;  // file line of the first line of `sql` (the line after the marker)
};

struct Script {
  std::string id;
  std::vector<std::string> parents;
  std::string message;
  TransactionMode transaction = TransactionMode::kPerMigration;
  std::string path;      // the file it came from, for messages
  int parents_line = 0;  // line of the `parents:` header, for messages about parents
  // `-- downgrade: no-op`: rolling back needs no statements (an empty section is then fine).
  bool downgrade_is_noop = false;
  // `-- sqlite-foreign-keys: off`: SQLite's table rebuild (create new, copy, drop old, rename)
  // with foreign keys off around the transaction and a full foreign key check before commit.
  bool sqlite_foreign_keys_off = false;
  // `-- alembic: <id>`: the Alembic revision with the same schema, so that `baseline --apply`
  // adopts a database whose alembic_version names it.
  std::string alembic;
  // `-- loses-data: ...`: what running the revision (either way) cannot give back, as
  // autogenerate writes it; shown by `show` and `history --verbose`, for lint and the operator.
  // Not part of the checksum.
  std::string loses_data;

  // Key "" is the common section; other keys are dialect names.
  std::map<std::string, ScriptSection> upgrade;
  std::map<std::string, ScriptSection> downgrade;

  // The section that runs on `dialect`: its own if it has one, else the common one.
  const ScriptSection* EffectiveSection(Direction direction, std::string_view dialect) const;
  bool HasUpgradeFor(std::string_view dialect) const;
  // A downgrade section with at least one statement, or the no-op declaration.
  bool HasDowngradeFor(std::string_view dialect) const;
  // Statements of the effective section, with their file lines (empty if there is no section).
  std::vector<SqlStatement> Statements(Direction direction, std::string_view dialect) const;
  // SHA-256 of the effective text on `dialect` (upgrade and downgrade, as they would run).
  std::string Checksum(std::string_view dialect) const;
  // Whether Checksum(dialect) is `checksum`, without a copy when the checksums are sealed.
  bool ChecksumIs(std::string_view dialect, const std::string& checksum) const;
  // Transaction control (BEGIN, COMMIT, ROLLBACK, END, ...) in a transactional revision is a
  // parse error naming the file and line. `dialect` "": each engine's section by its lexer and
  // the common sections portably (at parse); an engine: the common sections by its lexer.
  Status CheckNoTransactionControl(std::string_view dialect) const;
  // Computes the checksums of both engines once (ParseScript does): the daemon compares every
  // applied script on each `check`, and the text no longer changes after parsing.
  void SealChecksums();

 private:
  std::string ComputeChecksum(std::string_view dialect) const;
  std::map<std::string, std::string, std::less<>> sealed_checksums_;
};

// Parses the text of one script. `path` is used in error messages ("path:line: ...").
Result<Script> ParseScript(std::string_view text, const std::string& path);

// True if `id` is a valid revision id: [A-Za-z0-9_]+.
bool IsValidRevisionId(std::string_view id);

// The text of a new revision file, as `migctl revision -m` writes it. The result parses back
// into a Script with these fields.
std::string RenderNewScript(const std::string& id, const std::vector<std::string>& parents,
                            const std::string& message);

}  // namespace migrationd
