// PostgresBackend::ReadSchema: the normalized schema from pg_catalog, with the server's own
// deparsers (format_type, pg_get_expr, pg_get_constraintdef, pg_get_indexdef, pg_get_viewdef,
// pg_get_triggerdef). They print one canonical spelling whatever the DDL said (`int` and
// `int4` are `integer`, `varchar(10)` is `character varying(10)`), which is what makes equal
// schemas compare equal; `pg_dump --schema-only` would print the same definitions, but as a
// script whose order and comments change between versions, so it would need parsing again.
// Every schema but the system ones is read; objects in `public` are named without it.
#include <map>
#include <utility>

#include "core/postgres/postgres_backend.h"
#include "core/postgres/postgres_canonical.h"
#include "core/schema/schema.h"

namespace migrationd {
namespace {

constexpr const char* kUserSchemas =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' "
    "AND n.nspname NOT LIKE 'pg_temp%'";
constexpr const char* kRelationName =
    "CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END";
// A function's key, "name(argument types)": the same in its entry and in its comment's.
constexpr const char* kFunctionName =
    "CASE WHEN n.nspname = 'public' THEN p.proname ELSE n.nspname || '.' || p.proname END || "
    "'(' || pg_get_function_identity_arguments(p.oid) || ')'";
constexpr const char* kTypeName =
    "CASE WHEN n.nspname = 'public' THEN t.typname ELSE n.nspname || '.' || t.typname END";

// Objects an extension owns are the extension's, not the schema's: `alias` of catalog `table`.
std::string NotOwnedByExtension(const std::string& table, const std::string& alias) {
  return "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '" + table +
         "'::regclass AND d.objid = " + alias + ".oid AND d.deptype = 'e')";
}

std::string TextOf(const SqlValue& value) { return value.value_or(""); }

// The server's definitions name objects in `public` with the schema; the keys do not.
std::string WithoutPublic(std::string text) {
  for (size_t at = text.find("public."); at != std::string::npos; at = text.find("public.", at)) {
    text.erase(at, 7);
  }
  return NormalizeSqlText(text);
}

// A definition as it compares equal whatever path stored it (core/postgres/postgres_canonical.h).
std::string Canonical(const std::string& text, PostgresDefinition kind) {
  return CanonicalPostgresDefinition(text, kind);
}

std::string Relations(const std::string& kinds) {
  return std::string("FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ") +
         kUserSchemas + " AND c.relkind IN (" + kinds + ")";
}

// "{2,1}" (a constraint's conkey) -> "b, a", in the constraint's order. Only primary key,
// unique and foreign key constraints use the list, and those exist only on tables (r, p),
// whose columns are all in `names`.
std::string ColumnList(const std::map<std::pair<std::string, std::string>, std::string>& names,
                       const std::string& table, const std::string& conkey) {
  std::string list;
  size_t start = conkey.find_first_not_of('{');
  while (start < conkey.size()) {
    size_t end = conkey.find_first_of(",}", start);
    if (end == std::string::npos) end = conkey.size();
    if (end > start) {
      auto found = names.find({table, conkey.substr(start, end - start)});
      if (!list.empty()) list += ", ";
      list += found == names.end() ? conkey.substr(start, end - start) : found->second;
    }
    start = end + 1;
  }
  return list;
}

// Functions and procedures (not those an extension owns, nor aggregates), keyed by name and
// argument types, defined as pg_get_functiondef prints them: a downgrade that leaves one behind
// or an upgrade that changes a body shows.
Status AddFunctions(Backend& db, NormalizedSchema& schema) {
  auto functions = db.Query("SELECT p.prokind, " + std::string(kFunctionName) +
                                ", pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n "
                                "ON n.oid = p.pronamespace WHERE p.prokind IN ('f', 'p') AND " +
                                NotOwnedByExtension("pg_proc", "p") + " AND " + kUserSchemas,
                            {});
  if (!functions.ok()) return functions.status().WithContext("cannot read pg_proc");
  for (const auto& row : *functions) {
    // WithoutPublic normalizes too: whitespace collapses and letters outside quotes lower,
    // also in the body (a change of case or spacing alone in a body does not show).
    schema.Add((TextOf(row[0]) == "p" ? "procedure " : "function ") + TextOf(row[1]),
               WithoutPublic(TextOf(row[2])));
  }
  return Status::Ok();
}

// Enum types with their labels in their order: ADD VALUE ... BEFORE and a label a downgrade
// cannot remove both show.
Status AddEnums(Backend& db, NormalizedSchema& schema) {
  auto enums =
      db.Query("SELECT " + std::string(kTypeName) +
                   ", string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) "
                   "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                   "JOIN pg_enum e ON e.enumtypid = t.oid WHERE " +
                   NotOwnedByExtension("pg_type", "t") + " AND " + kUserSchemas +
                   " GROUP BY n.nspname, t.typname",
               {});
  if (!enums.ok()) return enums.status().WithContext("cannot read pg_enum");
  for (const auto& row : *enums) {
    schema.Add("enum " + TextOf(row[0]), "(" + TextOf(row[1]) + ")");
  }
  return Status::Ok();
}

// Domains (base type, not null, default, checks), composite types (their attributes in order)
// and range types (their subtype): a type a downgrade forgets shows like a table would.
Status AddOtherTypes(Backend& db, NormalizedSchema& schema) {
  auto types = db.Query(
      "SELECT t.typtype, " + std::string(kTypeName) +
          ", "
          "CASE t.typtype WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod) || "
          "  CASE WHEN t.typnotnull THEN ' not null' ELSE '' END || "
          "  COALESCE(' default ' || pg_get_expr(t.typdefaultbin, 0), '') || "
          "  COALESCE((SELECT string_agg(' ' || pg_get_constraintdef(c.oid, true), '' "
          "   ORDER BY pg_get_constraintdef(c.oid, true)) FROM pg_constraint c "
          "   WHERE c.contypid = t.oid), '') "
          " WHEN 'c' THEN '(' || (SELECT string_agg(a.attname || ' ' || "
          "   format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) FROM pg_attribute a "
          "   WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) || ')' "
          " ELSE (SELECT 'subtype ' || format_type(r.rngsubtype, NULL) FROM pg_range r "
          "   WHERE r.rngtypid = t.oid) END "
          "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
          "WHERE (t.typtype IN ('d', 'r') OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class k "
          " WHERE k.oid = t.typrelid AND k.relkind = 'c'))) AND " +
          NotOwnedByExtension("pg_type", "t") + " AND " + kUserSchemas,
      {});
  if (!types.ok()) return types.status().WithContext("cannot read pg_type");
  for (const auto& row : *types) {
    const std::string kind = TextOf(row[0]);
    schema.Add((kind == "d"   ? "domain "
                : kind == "c" ? "type "
                              : "range ") +
                   TextOf(row[1]),
               WithoutPublic(TextOf(row[2])));
  }
  return Status::Ok();
}

// COMMENT ON tables, views, sequences, indexes, their columns, functions and types.
Status AddComments(Backend& db, NormalizedSchema& schema) {
  const std::string user_schemas = kUserSchemas;
  auto comments = db.Query(
      "SELECT CASE WHEN a.attname IS NOT NULL THEN 'column' "
      " WHEN c.relkind = 'v' THEN 'view' WHEN c.relkind = 'm' THEN 'materialized view' "
      " WHEN c.relkind = 'S' THEN 'sequence' WHEN c.relkind IN ('i', 'I') THEN 'index' "
      " ELSE 'table' END, "
      " " +
          std::string(kRelationName) +
          " || COALESCE('.' || a.attname, ''), c.relname, "
          " d.description FROM pg_description d JOIN pg_class c ON c.oid = d.objoid "
          "JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attribute a "
          " ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0 "
          "WHERE d.classoid = 'pg_class'::regclass AND " +
          user_schemas + " UNION ALL SELECT 'function', " + kFunctionName +
          ", '', d.description "
          "FROM pg_description d JOIN pg_proc p ON p.oid = d.objoid "
          "JOIN pg_namespace n ON n.oid = p.pronamespace "
          "WHERE d.classoid = 'pg_proc'::regclass AND " +
          user_schemas + " UNION ALL SELECT 'type', " + kTypeName +
          ", '', d.description "
          "FROM pg_description d JOIN pg_type t ON t.oid = d.objoid "
          "JOIN pg_namespace n ON n.oid = t.typnamespace "
          "WHERE d.classoid = 'pg_type'::regclass AND " +
          user_schemas,
      {});
  if (!comments.ok()) return comments.status().WithContext("cannot read pg_description");
  for (const auto& row : *comments) {
    if (IsBookkeepingTable(TextOf(row[2]))) continue;
    schema.Add("comment on " + TextOf(row[0]) + " " + TextOf(row[1]), TextOf(row[3]));
  }
  return Status::Ok();
}

// Row-level security policies: who, for which command, and the expressions.
Status AddPolicies(Backend& db, NormalizedSchema& schema) {
  auto policies = db.Query(
      "SELECT " + std::string(kRelationName) +
          ", c.relname, pol.polname, pol.polcmd, pol.polpermissive, "
          "(SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END, ', ' "
          " ORDER BY 1) FROM unnest(pol.polroles) r), "
          "pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid) "
          "FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid "
          "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " +
          std::string(kUserSchemas),
      {});
  if (!policies.ok()) return policies.status().WithContext("cannot read pg_policy");
  for (const auto& row : *policies) {
    if (IsBookkeepingTable(TextOf(row[1]))) continue;
    const std::string cmd = TextOf(row[3]);
    std::string definition = cmd == "r"   ? "for select"
                             : cmd == "a" ? "for insert"
                             : cmd == "w" ? "for update"
                             : cmd == "d" ? "for delete"
                                          : "for all";
    if (TextOf(row[4]) != "t") definition += " as restrictive";
    definition += " to " + TextOf(row[5]);
    if (row[6]) definition += " using (" + WithoutPublic(*row[6]) + ")";
    if (row[7]) definition += " with check (" + WithoutPublic(*row[7]) + ")";
    schema.Add("policy " + TextOf(row[0]) + "." + TextOf(row[2]), definition);
  }
  return Status::Ok();
}

}  // namespace

Result<NormalizedSchema> PostgresBackend::ReadSchema() {
  NormalizedSchema schema;
  const std::string name = kRelationName;
  auto relations = Query("SELECT c.relkind, " + name + ", c.relname, " +
                             "CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) "
                             "END, c.relrowsecurity, c.relforcerowsecurity " +
                             Relations("'r', 'p', 'v', 'm'"),
                         {});
  if (!relations.ok()) return relations.status().WithContext("cannot read pg_class");
  for (const auto& row : *relations) {
    if (IsBookkeepingTable(TextOf(row[2]))) continue;
    const std::string kind = TextOf(row[0]);
    if (kind == "v" || kind == "m") {
      schema.Add((kind == "m" ? "materialized view " : "view ") + TextOf(row[1]),
                 WithoutPublic(Canonical(TextOf(row[3]), PostgresDefinition::kStatement)));
    } else {
      // Row-level security is part of the table: a downgrade that leaves it on shows.
      std::string definition = kind == "p" ? "partitioned" : "";
      if (TextOf(row[4]) == "t")
        definition += definition.empty() ? "row security" : " row security";
      if (TextOf(row[5]) == "t") definition += " forced";
      schema.Add("table " + TextOf(row[1]), definition);
    }
  }

  auto columns =
      Query("SELECT " + name +
                ", c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
                "a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, "
                "a.attnum FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND " +
                std::string(kUserSchemas),
            {});
  if (!columns.ok()) return columns.status().WithContext("cannot read pg_attribute");
  // (table, attnum) -> column name, for the columns constraints list by number.
  std::map<std::pair<std::string, std::string>, std::string> column_names;
  for (const auto& row : *columns) {
    if (IsBookkeepingTable(TextOf(row[1]))) continue;
    column_names[{TextOf(row[0]), TextOf(row[8])}] = TextOf(row[2]);
    std::string definition = NormalizeSqlText(TextOf(row[3]));
    if (TextOf(row[4]) == "t") definition += " not null";
    const std::string identity = TextOf(row[6]), generated = TextOf(row[7]);
    if (!identity.empty()) {
      definition +=
          identity == "a" ? " generated always as identity" : " generated by default as identity";
    }
    if (row[5]) {
      const std::string expression = Canonical(*row[5], PostgresDefinition::kExpression);
      definition +=
          (generated == "s" ? " generated always as (" + WithoutPublic(expression) + ") stored"
                            : " default " + WithoutPublic(expression));
    }
    schema.Add("column " + TextOf(row[0]) + "." + TextOf(row[2]), definition);
  }

  // Constraints are keyed by what they constrain, not by their (often generated) names.
  auto constraints =
      Query("SELECT " + name +
                ", c.relname, con.contype, pg_get_constraintdef(con.oid, true), con.conkey "
                "FROM pg_namespace n JOIN pg_class c ON n.oid = c.relnamespace "
                "JOIN pg_constraint con ON con.conrelid = c.oid "
                "WHERE con.contype IN ('p', 'u', 'f', 'c', 'x') AND " +
                std::string(kUserSchemas),
            {});
  if (!constraints.ok()) return constraints.status().WithContext("cannot read pg_constraint");
  for (const auto& row : *constraints) {
    if (IsBookkeepingTable(TextOf(row[1]))) continue;
    const std::string table = TextOf(row[0]), type = TextOf(row[2]);
    const std::string definition =
        WithoutPublic(Canonical(TextOf(row[3]), PostgresDefinition::kConstraint));
    const std::string columns_of = "(" + ColumnList(column_names, table, TextOf(row[4])) + ")";
    if (type == "p") {
      schema.Add("primary key " + table, columns_of);
    } else if (type == "u") {
      schema.Add("unique " + table + columns_of,
                 definition.find(" where ") == std::string::npos ? "" : definition);
    } else if (type == "f") {
      // "foreign key (user_id) references users(id) on delete cascade" -> "-> users(id) ..."
      const size_t references = definition.find("references ");
      schema.Add("foreign key " + table + columns_of,
                 "-> " + (references == std::string::npos ? definition
                                                          : definition.substr(references + 11)));
    } else {
      schema.Add((type == "c" ? "check " : "exclusion ") + table + ": " + definition, "");
    }
  }

  // Indexes that back a primary key, unique or exclusion constraint are those constraints.
  auto indexes = Query(
      "SELECT i.relname, " + name +
          ", c.relname, pg_get_indexdef(x.indexrelid) "
          "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
          "JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
          "WHERE NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid "
          " AND con.contype IN ('p', 'u', 'x')) AND " +
          std::string(kUserSchemas),
      {});
  if (!indexes.ok()) return indexes.status().WithContext("cannot read pg_index");
  for (const auto& row : *indexes) {
    if (IsBookkeepingTable(TextOf(row[2])) || IsBookkeepingTable(TextOf(row[0]))) continue;
    // "CREATE UNIQUE INDEX ix ON public.t USING btree (a)" -> "unique on t (a)"
    std::string definition =
        WithoutPublic(Canonical(TextOf(row[3]), PostgresDefinition::kStatement));
    const bool unique = definition.rfind("create unique index", 0) == 0;
    const size_t on = definition.find(" on ");
    definition = (unique ? "unique " : "") +
                 (on == std::string::npos ? definition : definition.substr(on + 1));
    // btree is the default method: said only when it is another.
    if (const size_t btree = definition.find(" using btree"); btree != std::string::npos) {
      definition.erase(btree, 12);
    }
    schema.Add("index " + TextOf(row[0]), definition);
  }

  auto sequences = Query(
      "SELECT " + name +
          ", c.relname, format_type(s.seqtypid, NULL), s.seqstart, "
          "s.seqincrement, s.seqmin, s.seqmax, s.seqcycle FROM pg_sequence s "
          "JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
          "WHERE " +
          std::string(kUserSchemas),
      {});
  if (!sequences.ok()) return sequences.status().WithContext("cannot read pg_sequence");
  for (const auto& row : *sequences) {
    if (IsBookkeepingTable(TextOf(row[1]))) continue;
    schema.Add("sequence " + TextOf(row[0]), TextOf(row[2]) + " start " + TextOf(row[3]) +
                                                 " increment " + TextOf(row[4]) + " min " +
                                                 TextOf(row[5]) + " max " + TextOf(row[6]) +
                                                 (TextOf(row[7]) == "t" ? " cycle" : ""));
  }

  auto triggers =
      Query("SELECT t.tgname, " + name +
                ", c.relname, pg_get_triggerdef(t.oid, true) "
                "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND " +
                std::string(kUserSchemas),
            {});
  if (!triggers.ok()) return triggers.status().WithContext("cannot read pg_trigger");
  for (const auto& row : *triggers) {
    if (IsBookkeepingTable(TextOf(row[2]))) continue;
    // "CREATE TRIGGER t BEFORE UPDATE ON public.x ..." -> from the timing on.
    std::string definition =
        WithoutPublic(Canonical(TextOf(row[3]), PostgresDefinition::kStatement));
    for (const char* timing : {" before ", " after ", " instead of "}) {
      if (const size_t at = definition.find(timing); at != std::string::npos) {
        definition = definition.substr(at + 1);
        break;
      }
    }
    schema.Add("trigger " + TextOf(row[1]) + "." + TextOf(row[0]), definition);
  }
  for (auto add : {AddFunctions, AddEnums, AddOtherTypes, AddComments, AddPolicies}) {
    MIGRATIOND_RETURN_IF_ERROR(add(*this, schema));
  }
  return schema;
}

}  // namespace migrationd
