// PostgresSchemaFollower: reads again only the relations that changed since the previous read,
// on a connection that alone changes its database (verify's scratch database, which reads the
// whole schema three times per revision: on a 369-revision history that was most of verify's
// time, each read deparsing every object again).
//
// Event triggers (ddl_command_end, sql_drop; ENABLE ALWAYS, so session_replication_role does not
// silence them) note every object a DDL command made, altered or dropped, in a temporary table
// of this session. A read then takes again:
//   - the relations noted (a constraint, trigger or default counts for its table; a dropped one
//     through what the last read saw it belong to),
//   - every relation that depends on something noted (pg_depend: a view on a renamed column, a
//     foreign key to a renamed table, a trigger calling a renamed function; through types too,
//     since a column of an array or row type depends on that type),
//   - relations that appeared since the last read (PostgreSQL makes some inside one command: a
//     partition's copy of its parent's index),
// and drops the relations gone. Functions, types and their comments are read again, whole, when
// anything noted or depending on something noted is not a relation's; policies when one was
// noted or depends on something noted, or when a role they name changed its name (a role's
// rename is no database's event: the read compares the names). What no event trigger sees: writes
// to the system catalogs themselves
// (`UPDATE pg_attribute ...`): a caller whose statements write them does not follow
// (WritesSystemCatalog). A read that finds the triggers gone or a change it could not note
// fails, and the caller reads everything from then on.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/backend.h"
#include "core/postgres/postgres_schema_parts.h"
#include "core/schema/schema.h"

namespace migrationd {

class PostgresSchemaFollower {
 public:
  // Installs the event triggers (a superuser's privilege; an error otherwise).
  static Result<std::unique_ptr<PostgresSchemaFollower>> Start(Backend& db);
  // The whole schema: read whole the first time, then what changed.
  Result<NormalizedSchema> Read(Backend& db);

 private:
  PostgresSchemaFollower() = default;
  // The relations to read again, and those gone, from what the event triggers noted.
  Status FindChanges(Backend& db, std::set<std::string>& changed, std::set<std::string>& gone,
                     bool& wide_changed, bool& policies_changed);
  void Forget(const std::string& unit);
  void Keep(SchemaParts& fresh);

  bool primed_ = false;
  std::set<std::string> known_;  // the relations that existed at the last read
  std::string policy_roles_;     // the roles policies named then (the "g" row)
  SchemaParts parts_;
  NormalizedSchema schema_;
};

// Whether `sql` may write PostgreSQL's system catalogs directly (an UPDATE, INSERT, DELETE or
// COPY naming a pg_ table, or allow_system_table_mods), which no event trigger sees.
bool WritesSystemCatalog(const std::string& sql);

}  // namespace migrationd
