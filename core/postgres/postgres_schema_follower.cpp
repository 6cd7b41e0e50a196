#include "core/postgres/postgres_schema_follower.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include "core/postgres/postgres_backend.h"

namespace migrationd {
namespace {

// The table the triggers write to, and the function they run: both in this session's temporary
// schema, so that the schema read never sees them and another session's DDL (the function
// finds no table there) is not disturbed. SECURITY DEFINER: a revision may SET ROLE to a role
// that could not write to this session's table. A failure to note is itself noted (a session
// setting the read checks), never the DDL's failure.
constexpr const char* kNoteFunction = R"sql(
CREATE OR REPLACE FUNCTION pg_temp.migrationd_note_changes() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
BEGIN
  IF to_regclass('pg_temp.migrationd_changes') IS NULL THEN
    RETURN;
  END IF;
  IF TG_EVENT = 'sql_drop' THEN
    INSERT INTO pg_temp.migrationd_changes
      SELECT classid, objid FROM pg_event_trigger_dropped_objects();
  ELSE
    INSERT INTO pg_temp.migrationd_changes
      SELECT classid, objid FROM pg_event_trigger_ddl_commands();
  END IF;
EXCEPTION WHEN OTHERS THEN
  PERFORM set_config('migrationd.changes_lost', 'on', false);
END
$body$)sql";

constexpr const char* kTriggerNames[] = {"migrationd_note_ddl", "migrationd_note_drops"};

// One round trip: takes what the triggers noted (and empties the table), and answers
//   u <oid>  a relation to read again: one noted, or one that depends on something noted,
//            directly or through a type (a column of an array type, or of a table's row type)
//   m <oid>  an object noted, by its own oid (a dropped constraint, trigger or default)
//   r <oid>  a relation that exists now
//   w <n>    how many objects noted or depending on one are not of a relation (a function, a
//            type, a schema): functions, types and their comments are read again when not 0
//   f <n>    how many schemas were noted: a schema's rename renames everything in it, and so
//            changes what names those objects elsewhere (a foreign key to a table in it):
//            everything is read again
//   p <n>    how many policies were noted or depend on something noted
//   g <md5>  the names of the roles policies name (a role's rename is no database's event)
//   t <n>    how many of the two triggers still fire
//   l <on>   whether the triggers failed to note something
//   d <n>    how many types were reached at the depth where the search through types stops
//            (UNION ALL with a bound, not a recursive UNION: that one sized a hash table for
//            the planner's guess of 228,260 rows and zeroed it at every read, 4% of verify's
//            server time): not 0 means something deeper may be missed, and all is read again
// No UNION removes duplicates here (a hash table sized by the same guesses, made and walked at
// every read): the rows of one object may repeat, which the reader's sets and the counts'
// comparisons with 0 do not mind.
constexpr const char* kChangesQuery = R"sql(
WITH RECURSIVE noted AS (
  DELETE FROM pg_temp.migrationd_changes RETURNING classid, objid
), reached(classid, objid, depth) AS (
  SELECT classid, objid, 0 FROM noted
  UNION ALL
  SELECT d.classid, d.objid, r.depth + 1 FROM reached r, LATERAL (SELECT classid, objid
    FROM pg_depend WHERE refclassid = r.classid AND refobjid = r.objid
    AND classid = 'pg_type'::regclass OFFSET 0) d WHERE r.depth < 16
), touched(classid, objid) AS (
  SELECT classid, objid FROM reached
  UNION ALL
  SELECT d.classid, d.objid FROM reached r, LATERAL (SELECT classid, objid FROM pg_depend
    WHERE refclassid = r.classid AND refobjid = r.objid OFFSET 0) d
)
SELECT 'u', (CASE x.classid
  WHEN 'pg_class'::regclass THEN x.objid
  WHEN 'pg_attrdef'::regclass THEN (SELECT adrelid FROM pg_attrdef WHERE oid = x.objid)
  WHEN 'pg_constraint'::regclass THEN (SELECT conrelid FROM pg_constraint WHERE oid = x.objid)
  WHEN 'pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_trigger WHERE oid = x.objid)
  WHEN 'pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_rewrite WHERE oid = x.objid)
  END)::text FROM touched x
UNION ALL SELECT 'm', objid::text FROM noted
UNION ALL SELECT 'w', count(*)::text FROM touched x WHERE NOT COALESCE(CASE x.classid
  WHEN 'pg_class'::regclass THEN
    COALESCE((SELECT relkind <> 'c' FROM pg_class WHERE oid = x.objid), true)
  WHEN 'pg_attrdef'::regclass THEN true
  WHEN 'pg_trigger'::regclass THEN true
  WHEN 'pg_rewrite'::regclass THEN true
  WHEN 'pg_constraint'::regclass THEN
    (SELECT conrelid <> 0 FROM pg_constraint WHERE oid = x.objid)
  -- a table's row type, and the array type of that, are the table's
  WHEN 'pg_type'::regclass THEN (SELECT k.relkind <> 'c' FROM pg_type t
    LEFT JOIN pg_type e ON e.oid = t.typelem
    JOIN pg_class k ON k.oid = COALESCE(NULLIF(t.typrelid, 0), e.typrelid) WHERE t.oid = x.objid)
  END, false)
UNION ALL SELECT 'r', c.oid::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.oid >= 16384 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'I')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND n.nspname NOT LIKE 'pg_temp%'
UNION ALL SELECT 'f', count(*)::text FROM noted WHERE classid = 'pg_namespace'::regclass
UNION ALL SELECT 'p', count(*)::text FROM touched WHERE classid = 'pg_policy'::regclass
UNION ALL SELECT 'g', md5(string_agg(r.oid || ':' || r.rolname, ',' ORDER BY r.oid))
  FROM pg_roles r WHERE r.oid IN (SELECT unnest(polroles) FROM pg_policy)
UNION ALL SELECT 't', count(*)::text FROM pg_event_trigger
  WHERE evtname IN ('migrationd_note_ddl', 'migrationd_note_drops') AND evtenabled = 'A'
UNION ALL SELECT 'l', current_setting('migrationd.changes_lost', true)
UNION ALL SELECT 'd', count(*)::text FROM reached WHERE depth >= 16
)sql";

std::string OidArray(const std::set<std::string>& oids) {
  std::string array = "{";
  for (const auto& oid : oids) array += (array.size() > 1 ? "," : "") + oid;
  return array + "}";
}

}  // namespace

bool WritesSystemCatalog(const std::string& sql) {
  std::string lower = sql;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.find("allow_system_table_mods") != std::string::npos) return true;
  if (lower.find("pg_") == std::string::npos) return false;  // the common case, without a regex
  static const std::regex kCatalogWrite(
      R"((update|insert\s+into|delete\s+from|copy|truncate(\s+table)?|merge\s+into)\s+)"
      R"((only\s+)?("?pg_catalog"?\s*\.\s*)?"?pg_)");
  return std::regex_search(lower, kCatalogWrite);
}

Result<std::unique_ptr<PostgresSchemaFollower>> PostgresSchemaFollower::Start(Backend& db) {
  // The changes query's recursive part looks costly to the planner, which would compile it
  // (JIT) at each read: 300-600 ms where running it takes under one.
  MIGRATIOND_RETURN_IF_ERROR(db.Execute("SET jit = off"));
  // The reads take the relations as a parameter ($1::oid[]); with custom plans the server
  // planned the comments query again at every read (0.5 ms), where the generic plan is the same
  // index scan.
  MIGRATIOND_RETURN_IF_ERROR(db.Execute("SET plan_cache_mode = force_generic_plan"));
  MIGRATIOND_RETURN_IF_ERROR(db.Execute(
      "CREATE TEMPORARY TABLE IF NOT EXISTS migrationd_changes (classid oid, objid oid)"));
  MIGRATIOND_RETURN_IF_ERROR(db.Execute(kNoteFunction));
  // Again after a pause (a script that wrote the catalog, then scripts that do not): the same
  // triggers, and what they noted meanwhile is read whole by the first read.
  for (const char* name : kTriggerNames) {
    MIGRATIOND_RETURN_IF_ERROR(db.Execute("DROP EVENT TRIGGER IF EXISTS " + std::string(name)));
  }
  MIGRATIOND_RETURN_IF_ERROR(
      db.Execute("CREATE EVENT TRIGGER migrationd_note_ddl ON "
                 "ddl_command_end EXECUTE FUNCTION "
                 "pg_temp.migrationd_note_changes()"));
  MIGRATIOND_RETURN_IF_ERROR(
      db.Execute("CREATE EVENT TRIGGER migrationd_note_drops ON sql_drop "
                 "EXECUTE FUNCTION pg_temp.migrationd_note_changes()"));
  for (const char* name : kTriggerNames) {
    MIGRATIOND_RETURN_IF_ERROR(
        db.Execute("ALTER EVENT TRIGGER " + std::string(name) + " ENABLE ALWAYS"));
  }
  return std::unique_ptr<PostgresSchemaFollower>(new PostgresSchemaFollower());
}

Result<NormalizedSchema> PostgresSchemaFollower::Read(Backend& db) {
  std::set<std::string> changed, gone;
  bool wide_changed = false, policies_changed = false;
  MIGRATIOND_RETURN_IF_ERROR(FindChanges(db, changed, gone, wide_changed, policies_changed));
  if (!primed_) {  // the first read, or one after a schema was renamed: everything, whole
    parts_ = SchemaParts();
    schema_ = NormalizedSchema();
  }
  for (const auto& unit : gone) Forget(unit);
  for (const auto& unit : changed) Forget(unit);
  SchemaParts fresh;
  if (!primed_) {
    MIGRATIOND_RETURN_IF_ERROR(ReadRelationObjects(db, nullptr, fresh));
  } else if (!changed.empty()) {
    const std::string units = OidArray(changed);
    MIGRATIOND_RETURN_IF_ERROR(ReadRelationObjects(db, &units, fresh));
  }
  if (!primed_ || wide_changed) {
    Forget(kDatabaseWideUnit);
    MIGRATIOND_RETURN_IF_ERROR(ReadDatabaseWideObjects(db, fresh));
  }
  if (!primed_ || policies_changed) {
    Forget(kPoliciesUnit);
    MIGRATIOND_RETURN_IF_ERROR(ReadPolicies(db, fresh));
  }
  primed_ = true;
  Keep(fresh);
  return schema_;
}

Status PostgresSchemaFollower::FindChanges(Backend& db, std::set<std::string>& changed,
                                           std::set<std::string>& gone, bool& wide_changed,
                                           bool& policies_changed) {
  auto rows = db.Query(kChangesQuery, {});
  if (!rows.ok()) return rows.status().WithContext("cannot read the schema changes noted");
  std::set<std::string> touched, existing;
  for (const auto& row : *rows) {
    const std::string kind = row[0].value_or(""), value = row[1].value_or("");
    if (kind == "u" && !value.empty()) {
      touched.insert(value);
    } else if (kind == "m") {
      auto member = parts_.member_units.find(value);
      if (member != parts_.member_units.end()) touched.insert(member->second);
    } else if (kind == "r") {
      existing.insert(value);
    } else if (kind == "w") {
      wide_changed = value != "0";
    } else if ((kind == "f" || kind == "d") && value != "0") {
      primed_ = false;
    } else if (kind == "p") {
      policies_changed = value != "0";
    } else if (kind == "g") {
      policies_changed = policies_changed || value != policy_roles_;
      policy_roles_ = value;
    } else if (kind == "t" && value != "2") {
      return Status::Database("the schema change triggers are gone");
    } else if (kind == "l" && value == "on") {
      return Status::Database("a schema change could not be noted");
    }
  }
  for (const auto& unit : existing) {
    if (touched.count(unit) || !known_.count(unit)) changed.insert(unit);
  }
  for (const auto& unit : known_) {
    if (!existing.count(unit)) gone.insert(unit);
  }
  known_ = std::move(existing);
  return Status::Ok();
}

void PostgresSchemaFollower::Forget(const std::string& unit) {
  auto found = parts_.by_unit.find(unit);
  if (found != parts_.by_unit.end()) {
    for (const auto& piece : found->second) schema_.Remove(piece.object);
    parts_.by_unit.erase(found);
  }
  std::erase_if(parts_.member_units, [&](const auto& member) { return member.second == unit; });
}

void PostgresSchemaFollower::Keep(SchemaParts& fresh) {
  for (auto& [unit, pieces] : fresh.by_unit) {
    for (const auto& piece : pieces) schema_.Add(piece.object, piece.definition, piece.source);
    auto& kept = parts_.by_unit[unit];
    std::move(pieces.begin(), pieces.end(), std::back_inserter(kept));
  }
  for (auto& [member, unit] : fresh.member_units) parts_.member_units[member] = unit;
}

Status PostgresBackend::FollowSchemaChanges(const std::vector<std::string>& statements) {
  for (const auto& statement : statements) {
    if (WritesSystemCatalog(statement)) {
      follower_.reset();
      return Status::InvalidArgument(
          "a statement writes to the system catalog, which no event trigger "
          "sees: the schema is read whole each time");
    }
  }
  if (follower_) return Status::Ok();
  auto started = PostgresSchemaFollower::Start(*this);
  if (!started.ok()) return started.status();
  follower_ = std::move(started).value();
  return Status::Ok();
}

}  // namespace migrationd
