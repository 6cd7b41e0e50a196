// The PostgreSQL schema read in parts (core/postgres/postgres_schema.cpp), so that a read can
// take again only the relations that changed since the previous one
// (core/postgres/postgres_schema_follower.h). Internal to the PostgreSQL engine.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/backend.h"
#include "core/schema/schema.h"

namespace migrationd {

// The unit of the pieces read again, whole, only when a function or type changed, and that of
// the policies (read again when one changed or a role they name was renamed).
inline constexpr const char* kDatabaseWideUnit = "";
inline constexpr const char* kPoliciesUnit = "policies";

struct SchemaPiece {
  std::string object;
  std::string definition;
  ObjectSource source;
};

// What a read found, by the relation each object belongs to: its oid, or one of the two units
// above. `member_units` says which relation a
// constraint, trigger or column default belongs to (by its own oid): a dropped one is reported
// by its oid alone.
struct SchemaParts {
  std::map<std::string, std::vector<SchemaPiece>> by_unit;
  std::map<std::string, std::string> member_units;

  void Add(const std::string& unit, std::string object, std::string definition,
           ObjectSource source) {
    by_unit[unit].push_back({std::move(object), std::move(definition), std::move(source)});
  }
  // Every piece, into `schema`.
  void AddTo(NormalizedSchema& schema) const;
};

// The relations' objects: tables, views, columns, keys, checks, exclusions, indexes, sequences,
// triggers and comments; with `units` ("{16390,16402}"), only those of the relations listed.
Status ReadRelationObjects(Backend& db, const std::string* units, SchemaParts& parts);
// Functions, enum and other types, and their comments (unit kDatabaseWideUnit).
Status ReadDatabaseWideObjects(Backend& db, SchemaParts& parts);
// Row-level security policies (unit kPoliciesUnit).
Status ReadPolicies(Backend& db, SchemaParts& parts);

}  // namespace migrationd
