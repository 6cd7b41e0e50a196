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

#include "core/schema/schema.h"

namespace migrationd {

struct GeneratedStatements {
  std::vector<std::string> statements;  // each a complete statement with its ';'
  // SQLite: a table is rebuilt, which needs foreign keys off around the transaction.
  bool needs_foreign_keys_off = false;
  // What this direction cannot give back ("table audit_log dropped: its rows are lost").
  std::vector<std::string> data_loss;
  // Differences no statement was written for.
  std::vector<SchemaDifference> not_generated;
};

// `dialect`: kDialectSqlite or kDialectPostgresql.
GeneratedStatements GenerateMigration(const NormalizedSchema& from, const NormalizedSchema& to,
                                      std::string_view dialect);

}  // namespace migrationd
