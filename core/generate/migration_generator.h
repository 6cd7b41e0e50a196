// GenerateMigration: the statements that take a database from one normalized schema to
// another, in dependency order, written from what each engine's catalog prints
// (ObjectSource, core/schema/schema.h). Pure: no database. Used both ways round: the upgrade
// is from -> to, the downgrade to -> from.
//
// PostgreSQL alters in place. SQLite adds a column in place when ALTER TABLE can, drops one in
// place when nothing else uses it, and otherwise rebuilds the table (create the new shape,
// copy the common columns, drop the old, rename, recreate its indexes and triggers) under
// `-- sqlite-foreign-keys: off`. What the generator does not cover is returned, never dropped
// silently: the caller writes it as `-- TODO` lines and fails.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/schema/schema.h"

namespace migrationd {

struct GeneratedStatements {
  std::vector<std::string> statements;  // each a complete statement with its ';'
  // SQLite: a table is rebuilt, which needs foreign keys off around the transaction.
  bool needs_foreign_keys_off = false;
  // PostgreSQL --online: CONCURRENTLY, which cannot run in a transaction (`transaction: none`).
  bool non_transactional = false;
  // What this direction cannot give back ("table audit_log dropped: its rows are lost").
  std::vector<std::string> data_loss;
  // Differences no statement was written for.
  std::vector<SchemaDifference> not_generated;
  // Objects of a table in `not_generated` (its columns, keys...): covered by its item.
  std::vector<std::string> covered;
};

// A rename the developer states (`--rename table:OLD=NEW`, `--rename column:T.OLD=NEW`): never
// guessed, because a wrong guess moves data into the wrong column. Names as the schema's keys
// write them; a column's table is its name in the desired schema.
struct Rename {
  bool column = false;
  std::string table;  // column renames: the table (desired name)
  std::string from;
  std::string to;
};
// Parses "table:OLD=NEW" or "column:TABLE.OLD=NEW".
Result<Rename> ParseRename(const std::string& text);
// The renames that undo `renames` (for the downgrade), in the order to run them.
std::vector<Rename> Inverted(const std::vector<Rename>& renames);
// Why `renames` cannot apply to `from` -> `to` (a name missing on either side), or OK.
Status CheckRenames(const std::vector<Rename>& renames, const NormalizedSchema& from,
                    const NormalizedSchema& to);

// `dialect`: kDialectSqlite or kDialectPostgresql. `renames` (checked) run first, as RENAME.
// `online` (PostgreSQL): on tables that exist already, the forms that do not block the
// application for the length of a scan: indexes CONCURRENTLY (then the revision cannot be
// transactional), unique and primary keys USING such an index, foreign keys and checks NOT
// VALID then VALIDATE, SET NOT NULL through a validated CHECK (col IS NOT NULL).
GeneratedStatements GenerateMigration(const NormalizedSchema& from, const NormalizedSchema& to,
                                      std::string_view dialect,
                                      const std::vector<Rename>& renames = {}, bool online = false);

// A dropped and an added table (or column of one table) with the same definition: probably a
// rename, which the generator writes as drop + add. One line each, naming the --rename to pass.
std::vector<std::string> LikelyRenames(const NormalizedSchema& from, const NormalizedSchema& to);

}  // namespace migrationd
