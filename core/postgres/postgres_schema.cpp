// PostgresBackend::ReadSchema: the normalized schema from pg_catalog, with the server's own
// deparsers (format_type, pg_get_expr, pg_get_constraintdef, pg_get_indexdef, pg_get_viewdef,
// pg_get_triggerdef). They print one canonical spelling whatever the DDL said (`int` and
// `int4` are `integer`, `varchar(10)` is `character varying(10)`), which is what makes equal
// schemas compare equal; `pg_dump --schema-only` would print the same definitions, but as a
// script whose order and comments change between versions, so it would need parsing again.
// Every schema but the system ones is read; objects in `public` are named without it.
#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <utility>

#include "core/postgres/postgres_backend.h"
#include "core/postgres/postgres_canonical.h"
#include "core/postgres/postgres_schema_parts.h"
#include "core/schema/schema.h"

namespace migrationd {
namespace {

constexpr const char* kUserSchemas =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' "
    "AND n.nspname NOT LIKE 'pg_temp%'";
// PostgreSQL's FirstNormalObjectId: every object made after initdb (by a user, an extension,
// pg_upgrade keeping the old cluster's oids) has an oid at least this. The system's own rows
// are below it (pg_description alone has 5,000), so a condition on it lets the oid indexes skip
// them: the comments read went from 1.1 ms to 0.1 ms at the realistic corpus's head.
constexpr const char* kUserOid = " >= 16384";
constexpr const char* kRelationName =
    "CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END";
// The same, quoted where SQL needs it: what generated DDL pastes (ObjectSource).
std::string QuotedName(const std::string& name_column) {
  return "CASE WHEN n.nspname = 'public' THEN quote_ident(" + name_column +
         ") ELSE quote_ident(n.nspname) || '.' || quote_ident(" + name_column + ") END";
}
// A function's key, "name(argument types)": the same in its entry and in its comment's.
constexpr const char* kFunctionName =
    "CASE WHEN n.nspname = 'public' THEN p.proname ELSE n.nspname || '.' || p.proname END || "
    "'(' || pg_get_function_identity_arguments(p.oid) || ')'";
// The same key quoted, as DDL names the routine (DROP FUNCTION, COMMENT ON FUNCTION).
std::string QuotedRoutineSignature() {
  return QuotedName("p.proname") + " || '(' || pg_get_function_identity_arguments(p.oid) || ')'";
}
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

// " AND <unit> = ANY($1)" when only some relations are read, with Scope(units) as parameters.
std::string OfUnits(const std::string* units, const std::string& unit) {
  return units ? " AND " + unit + " = ANY($1::oid[])" : "";
}
std::vector<SqlValue> Scope(const std::string* units) {
  return units ? std::vector<SqlValue>{SqlValue(*units)} : std::vector<SqlValue>{};
}

// pg_get_viewdef ends its query with ';', which a CREATE VIEW written around it must not.
std::string WithoutFinalSemicolon(std::string text) {
  while (!text.empty() &&
         (text.back() == ';' || std::isspace(static_cast<unsigned char>(text.back())))) {
    text.pop_back();
  }
  return text;
}

// A column as CREATE TABLE and ADD COLUMN write it, from the columns query's row:
// 0 table, 3 type, 4 not null, 5 default or generation expression, 6 identity, 7 generated,
// 8 attnum, 9 quoted name, 10 quoted table.
ObjectSource ColumnSource(const std::vector<SqlValue>& row) {
  ObjectSource source = ObjectSource::Of(TextOf(row[10]), TextOf(row[9]));
  source.type = TextOf(row[3]);
  source.not_null = TextOf(row[4]) == "t";
  source.ordinal = std::stoi(TextOf(row[8]));
  const std::string identity = TextOf(row[6]);
  const bool generated = TextOf(row[7]) == "s";
  if (row[5] && !generated) source.default_sql = *row[5];
  source.sql = source.name + " " + source.type;
  if (!identity.empty()) {
    source.sql +=
        identity == "a" ? " GENERATED ALWAYS AS IDENTITY" : " GENERATED BY DEFAULT AS IDENTITY";
  }
  if (generated && row[5]) source.sql += " GENERATED ALWAYS AS (" + *row[5] + ") STORED";
  if (!source.default_sql.empty()) source.sql += " DEFAULT " + source.default_sql;
  if (source.not_null) source.sql += " NOT NULL";
  return source;
}

std::string Relations(const std::string& kinds) {
  return std::string("FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ") +
         kUserSchemas + " AND c.oid" + std::string(kUserOid) + " AND c.relkind IN (" + kinds + ")";
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

// One SELECT of the relation read: its columns and the rest of the statement. The read runs
// them all as one statement (QueryAll), so each column is said as text there.
struct RelationQuery {
  std::vector<std::string> columns;
  std::string from;
};

// A boolean column as the server sends one ("t" or "f"); `::text` would say "true".
std::string BoolText(const std::string& column) {
  return "CASE WHEN " + column + " THEN 't' ELSE 'f' END";
}

// Runs `queries` in one round trip: a UNION ALL whose rows say which query gave them, every
// column as text, padded with NULLs to the widest. Answers each query's rows, in its order.
// A followed read of verify took seven round trips, each with its own bind, snapshot and
// executor start; at ~1,300 reads that was a fifth of verify's time on PostgreSQL.
Result<std::vector<std::vector<SqlRow>>> QueryAll(Backend& db,
                                                  const std::vector<RelationQuery>& queries,
                                                  const std::vector<SqlValue>& params) {
  size_t width = 0;
  for (const auto& query : queries) width = std::max(width, query.columns.size());
  std::string sql;
  for (size_t i = 0; i < queries.size(); ++i) {
    sql += (i == 0 ? "SELECT " : " UNION ALL SELECT ") + std::to_string(i);
    for (const auto& column : queries[i].columns) sql += ", (" + column + ")::text";
    for (size_t pad = queries[i].columns.size(); pad < width; ++pad) sql += ", NULL::text";
    sql += " " + queries[i].from;
  }
  auto rows = db.Query(sql, params);
  if (!rows.ok()) return rows.status();
  std::vector<std::vector<SqlRow>> by_query(queries.size());
  for (auto& row : *rows) {
    const size_t index = std::stoul(row[0].value_or("0"));
    if (index >= queries.size()) continue;
    by_query[index].emplace_back(std::make_move_iterator(row.begin() + 1),
                                 std::make_move_iterator(row.end()));
  }
  return by_query;
}

// Functions and procedures (not those an extension owns, nor aggregates), keyed by name and
// argument types, defined as pg_get_functiondef prints them: a downgrade that leaves one behind
// or an upgrade that changes a body shows.
RelationQuery FunctionsQuery() {
  return {{"p.prokind", kFunctionName, "pg_get_functiondef(p.oid)", QuotedRoutineSignature(),
           "(SELECT l.lanname FROM pg_language l WHERE l.oid = p.prolang)"},
          "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
          "WHERE p.oid" +
              std::string(kUserOid) + " AND p.prokind IN ('f', 'p') AND " +
              NotOwnedByExtension("pg_proc", "p") +
              // A range type's constructors are the type's (made and dropped with it).
              " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass "
              "AND d.objid = p.oid AND d.deptype = 'i') AND " +
              kUserSchemas};
}

void AddFunctionRows(const std::vector<SqlRow>& rows, SchemaParts& parts) {
  for (const auto& row : rows) {
    // WithoutPublic normalizes too: whitespace collapses and letters outside quotes lower,
    // also in the body (a change of case or spacing alone in a body does not show).
    // The source keeps the body as written; `type` is the language.
    ObjectSource source = ObjectSource::Of("", TextOf(row[3]), TextOf(row[2]));
    source.type = TextOf(row[4]);
    parts.Add(kDatabaseWideUnit,
              (TextOf(row[0]) == "p" ? "procedure " : "function ") + TextOf(row[1]),
              WithoutPublic(TextOf(row[2])), std::move(source));
  }
}

// Enum types with their labels in their order: ADD VALUE ... BEFORE and a label a downgrade
// cannot remove both show.
RelationQuery EnumsQuery() {
  // The labels per type in a subquery: the join and GROUP BY it replaced hashed every label of
  // the database at each read (0.6 ms at the realistic corpus's head).
  return {{kTypeName,
           "(SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) "
           "FROM pg_enum e WHERE e.enumtypid = t.oid)",
           QuotedName("t.typname")},
          "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid" +
              std::string(kUserOid) +
              " AND t.typtype = 'e' AND EXISTS (SELECT 1 FROM pg_enum e WHERE e.enumtypid = "
              "t.oid) AND " +
              NotOwnedByExtension("pg_type", "t") + " AND " + kUserSchemas};
}

void AddEnumRows(const std::vector<SqlRow>& rows, SchemaParts& parts) {
  for (const auto& row : rows) {
    const std::string labels = "(" + TextOf(row[1]) + ")";
    parts.Add(kDatabaseWideUnit, "enum " + TextOf(row[0]), labels,
              ObjectSource::Of("", TextOf(row[2]),
                               "CREATE TYPE " + TextOf(row[2]) + " AS ENUM " + labels));
  }
}

// Domains (base type, not null, default, checks), composite types (their attributes in order)
// and range types (their subtype): a type a downgrade forgets shows like a table would.
RelationQuery OtherTypesQuery() {
  return {{"t.typtype", kTypeName,
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
           "   WHERE r.rngtypid = t.oid) END",
           QuotedName("t.typname"),
           // What creates it, as the server prints its parts.
           "CASE t.typtype WHEN 'd' THEN 'AS ' || format_type(t.typbasetype, t.typtypmod) || "
           "  COALESCE(' DEFAULT ' || pg_get_expr(t.typdefaultbin, 0), '') || "
           "  CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END || "
           "  COALESCE((SELECT string_agg(' CONSTRAINT ' || quote_ident(c.conname) || ' ' || "
           "   pg_get_constraintdef(c.oid), '' ORDER BY c.conname) FROM pg_constraint c "
           "   WHERE c.contypid = t.oid), '') "
           " WHEN 'c' THEN 'AS (' || (SELECT string_agg(quote_ident(a.attname) || ' ' || "
           "   format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) FROM pg_attribute a "
           "   WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) || ')' "
           " ELSE (SELECT 'AS RANGE (subtype = ' || format_type(r.rngsubtype, NULL) || ')' "
           "   FROM pg_range r WHERE r.rngtypid = t.oid) END"},
          "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
          "WHERE t.oid" +
              std::string(kUserOid) +
              " AND (t.typtype IN ('d', 'r') OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM "
              "pg_class k WHERE k.oid = t.typrelid AND k.relkind = 'c'))) AND " +
              NotOwnedByExtension("pg_type", "t") + " AND " + kUserSchemas};
}

void AddOtherTypeRows(const std::vector<SqlRow>& rows, SchemaParts& parts) {
  for (const auto& row : rows) {
    const std::string kind = TextOf(row[0]);
    ObjectSource source = ObjectSource::Of(
        "", TextOf(row[3]),
        (kind == "d" ? "CREATE DOMAIN " : "CREATE TYPE ") + TextOf(row[3]) + " " + TextOf(row[4]));
    parts.Add(kDatabaseWideUnit,
              (kind == "d"   ? "domain "
               : kind == "c" ? "type "
                             : "range ") +
                  TextOf(row[1]),
              WithoutPublic(TextOf(row[2])), std::move(source));
  }
}

// COMMENT ON tables, views, sequences, indexes and their columns: the relation read's query
// (ReadRelationObjects), its rows in the order the comment rows take.
// What a relation comment is on, as COMMENT ON names it.
constexpr const char* kCommentedKind =
    "CASE WHEN a.attname IS NOT NULL THEN 'column' "
    " WHEN c.relkind = 'v' THEN 'view' WHEN c.relkind = 'm' THEN 'materialized view' "
    " WHEN c.relkind = 'S' THEN 'sequence' WHEN c.relkind IN ('i', 'I') THEN 'index' "
    " ELSE 'table' END";

RelationQuery RelationComments(const std::string* units) {
  return {{kCommentedKind, std::string(kRelationName) + " || COALESCE('.' || a.attname, '')",
           "c.relname", "d.description",
           QuotedName("c.relname") + " || COALESCE('.' || quote_ident(a.attname), '')",
           "quote_literal(d.description)", "c.oid"},
          "FROM pg_description d JOIN pg_class c ON c.oid = d.objoid "
          "JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attribute a "
          " ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0 "
          "WHERE d.objoid" +
              std::string(kUserOid) + " AND d.classoid = 'pg_class'::regclass AND " + kUserSchemas +
              OfUnits(units, "d.objoid")};
}

// Comment rows (kind, key name, table name, text, quoted name, quoted text, unit) into `parts`.
void AddCommentRows(const std::vector<SqlRow>& rows, SchemaParts& parts);

// COMMENT ON functions and procedures, and on types: the comment rows' columns (kind, key
// name, table name, text, quoted name, quoted text, unit).
RelationQuery RoutineCommentsQuery() {
  return {{"'function'", kFunctionName, "''", "d.description", QuotedRoutineSignature(),
           "quote_literal(d.description)", "''"},
          "FROM pg_description d JOIN pg_proc p ON p.oid = d.objoid "
          "JOIN pg_namespace n ON n.oid = p.pronamespace "
          "WHERE d.objoid" +
              std::string(kUserOid) + " AND d.classoid = 'pg_proc'::regclass AND " + kUserSchemas};
}

RelationQuery TypeCommentsQuery() {
  return {{"'type'", kTypeName, "''", "d.description", QuotedName("t.typname"),
           "quote_literal(d.description)", "''"},
          "FROM pg_description d JOIN pg_type t ON t.oid = d.objoid "
          "JOIN pg_namespace n ON n.oid = t.typnamespace "
          "WHERE d.objoid" +
              std::string(kUserOid) + " AND d.classoid = 'pg_type'::regclass AND " + kUserSchemas};
}

void AddCommentRows(const std::vector<SqlRow>& rows, SchemaParts& parts) {
  for (const auto& row : rows) {
    if (IsBookkeepingTable(TextOf(row[2]))) continue;
    // COMMENT ON ROUTINE covers functions and procedures alike.
    const std::string kind = TextOf(row[0]);
    std::string keyword = kind == "function" ? "ROUTINE" : kind;
    for (char& c : keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    ObjectSource source = ObjectSource::Of("", TextOf(row[4]));
    source.type = keyword;
    source.sql = "COMMENT ON " + keyword + " " + source.name + " IS " + TextOf(row[5]);
    parts.Add(TextOf(row[6]), "comment on " + kind + " " + TextOf(row[1]), TextOf(row[3]),
              std::move(source));
  }
}

// Row-level security policies: who, for which command, and the expressions.
Status AddPolicies(Backend& db, SchemaParts& parts) {
  auto policies = db.Query(
      "SELECT " + std::string(kRelationName) +
          ", c.relname, pol.polname, pol.polcmd, pol.polpermissive, "
          "(SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END, ', ' "
          " ORDER BY 1) FROM unnest(pol.polroles) r), "
          "pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid), "
          "quote_ident(pol.polname), " +
          QuotedName("c.relname") +
          ", (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) "
          " END, ', ' ORDER BY 1) FROM unnest(pol.polroles) r) "
          "FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid "
          "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE pol.oid" +
          std::string(kUserOid) + " AND " + std::string(kUserSchemas),
      {});
  if (!policies.ok()) return policies.status().WithContext("cannot read pg_policy");
  for (const auto& row : *policies) {
    if (IsBookkeepingTable(TextOf(row[1]))) continue;
    const std::string cmd = TextOf(row[3]);
    const std::string command = cmd == "r"   ? "SELECT"
                                : cmd == "a" ? "INSERT"
                                : cmd == "w" ? "UPDATE"
                                : cmd == "d" ? "DELETE"
                                             : "ALL";
    std::string definition = NormalizeSqlText("for " + command);
    if (TextOf(row[4]) != "t") definition += " as restrictive";
    definition += " to " + TextOf(row[5]);
    if (row[6]) definition += " using (" + WithoutPublic(*row[6]) + ")";
    if (row[7]) definition += " with check (" + WithoutPublic(*row[7]) + ")";
    ObjectSource source = ObjectSource::Of(TextOf(row[9]), TextOf(row[8]));
    source.sql = "CREATE POLICY " + source.name + " ON " + source.table + " AS " +
                 (TextOf(row[4]) == "t" ? "PERMISSIVE" : "RESTRICTIVE") + " FOR " + command +
                 " TO " + TextOf(row[10]) + (row[6] ? " USING (" + *row[6] + ")" : "") +
                 (row[7] ? " WITH CHECK (" + *row[7] + ")" : "");
    parts.Add(kPoliciesUnit, "policy " + TextOf(row[0]) + "." + TextOf(row[2]), definition,
              std::move(source));
  }
  return Status::Ok();
}

}  // namespace

void SchemaParts::AddTo(NormalizedSchema& schema) const {
  for (const auto& [unit, pieces] : by_unit) {
    for (const auto& piece : pieces) schema.Add(piece.object, piece.definition, piece.source);
  }
}

Status ReadDatabaseWideObjects(Backend& db, SchemaParts& parts) {
  // One round trip (it was four): a followed read of verify re-reads these after every
  // revision that creates, changes or drops a function or a type.
  auto read = QueryAll(db,
                       {FunctionsQuery(), EnumsQuery(), OtherTypesQuery(), RoutineCommentsQuery(),
                        TypeCommentsQuery()},
                       {});
  if (!read.ok()) {
    return read.status().WithContext("cannot read functions, types and their comments");
  }
  AddFunctionRows((*read)[0], parts);
  AddEnumRows((*read)[1], parts);
  AddOtherTypeRows((*read)[2], parts);
  AddCommentRows((*read)[3], parts);
  AddCommentRows((*read)[4], parts);
  return Status::Ok();
}

Status ReadPolicies(Backend& db, SchemaParts& parts) { return AddPolicies(db, parts); }

Result<NormalizedSchema> PostgresBackend::ReadSchema() {
  if (follower_) {
    auto followed = follower_->Read(*this);
    if (followed.ok()) return followed;
    // What the follower cannot say, the whole read does (it stops following for good).
    follower_.reset();
  }
  SchemaParts parts;
  MIGRATIOND_RETURN_IF_ERROR(ReadRelationObjects(*this, nullptr, parts));
  MIGRATIOND_RETURN_IF_ERROR(ReadDatabaseWideObjects(*this, parts));
  MIGRATIOND_RETURN_IF_ERROR(ReadPolicies(*this, parts));
  NormalizedSchema schema;
  parts.AddTo(schema);
  return schema;
}

Status ReadRelationObjects(Backend& db, const std::string* units, SchemaParts& parts) {
  const std::string name = kRelationName;
  const std::string quoted = QuotedName("c.relname");
  const std::string user_schemas = kUserSchemas;
  const std::string user_oid = kUserOid;
  enum Part : size_t {
    kRelations,
    kColumns,
    kConstraints,
    kIndexes,
    kSequences,
    kTriggers,
    kComments
  };
  const std::vector<RelationQuery> queries = {
      {{"c.relkind", name, "c.relname",
        "CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END",
        BoolText("c.relrowsecurity"), BoolText("c.relforcerowsecurity"), quoted, "c.oid"},
       Relations("'r', 'p', 'v', 'm'") + OfUnits(units, "c.oid")},
      {{name, "c.relname", "a.attname", "format_type(a.atttypid, a.atttypmod)",
        BoolText("a.attnotnull"), "pg_get_expr(d.adbin, d.adrelid)", "a.attidentity",
        "a.attgenerated", "a.attnum", "quote_ident(a.attname)", quoted, "c.oid", "d.oid"},
       "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
       "JOIN pg_namespace n ON n.oid = c.relnamespace "
       "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
       "WHERE a.attrelid" +
           user_oid + " AND c.oid" + user_oid +
           " AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND " +
           user_schemas + OfUnits(units, "c.oid")},
      // Constraints are keyed by what they constrain, not by their (often generated) names.
      {{name, "c.relname", "con.contype", "pg_get_constraintdef(con.oid, true)", "con.conkey",
        "quote_ident(con.conname)", quoted, "c.oid", "con.oid"},
       "FROM pg_namespace n JOIN pg_class c ON n.oid = c.relnamespace "
       "JOIN pg_constraint con ON con.conrelid = c.oid "
       "WHERE con.oid" +
           user_oid + " AND con.contype IN ('p', 'u', 'f', 'c', 'x') AND " + user_schemas +
           OfUnits(units, "con.conrelid")},
      // Indexes that back a primary key, unique or exclusion constraint are those constraints.
      {{"i.relname", name, "c.relname", "pg_get_indexdef(x.indexrelid)", QuotedName("i.relname"),
        quoted, "x.indexrelid"},
       "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
       "JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
       "WHERE NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid "
       " AND con.contype IN ('p', 'u', 'x')) AND x.indexrelid" +
           user_oid + " AND " + user_schemas + OfUnits(units, "x.indexrelid")},
      {{name, "c.relname", "format_type(s.seqtypid, NULL)", "s.seqstart", "s.seqincrement",
        "s.seqmin", "s.seqmax", BoolText("s.seqcycle"), quoted,
        "SELECT CASE WHEN os.nspname = 'public' THEN quote_ident(o.relname) "
        "  ELSE quote_ident(os.nspname) || '.' || quote_ident(o.relname) END "
        "  FROM pg_depend d JOIN pg_class o ON o.oid = d.refobjid "
        "  JOIN pg_namespace os ON os.oid = o.relnamespace WHERE d.classid = 'pg_class'::regclass"
        "  AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'i'",
        "c.oid"},
       "FROM pg_sequence s "
       "JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
       "WHERE s.seqrelid" +
           user_oid + " AND " + user_schemas + OfUnits(units, "s.seqrelid")},
      {{"t.tgname", name, "c.relname", "pg_get_triggerdef(t.oid, true)", "quote_ident(t.tgname)",
        quoted, "c.oid", "t.oid"},
       "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
       "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE t.oid" +
           user_oid + " AND NOT t.tgisinternal AND " + user_schemas + OfUnits(units, "t.tgrelid")},
      RelationComments(units),
  };
  auto read = QueryAll(db, queries, Scope(units));
  if (!read.ok()) return read.status().WithContext("cannot read the relations from pg_catalog");
  const std::vector<std::vector<SqlRow>>& rows = *read;

  for (const auto& row : rows[kRelations]) {
    if (IsBookkeepingTable(TextOf(row[2]))) continue;
    const std::string kind = TextOf(row[0]);
    if (kind == "v" || kind == "m") {
      ObjectSource source = ObjectSource::Of("", TextOf(row[6]));
      source.sql = std::string(kind == "m" ? "CREATE MATERIALIZED VIEW " : "CREATE VIEW ") +
                   source.name + " AS\n" + WithoutFinalSemicolon(TextOf(row[3]));
      parts.Add(TextOf(row[7]), (kind == "m" ? "materialized view " : "view ") + TextOf(row[1]),
                WithoutPublic(Canonical(TextOf(row[3]), PostgresDefinition::kStatement)),
                std::move(source));
    } else {
      // Row-level security is part of the table: a downgrade that leaves it on shows.
      std::string definition = kind == "p" ? "partitioned" : "";
      if (TextOf(row[4]) == "t")
        definition += definition.empty() ? "row security" : " row security";
      if (TextOf(row[5]) == "t") definition += " forced";
      parts.Add(TextOf(row[7]), "table " + TextOf(row[1]), definition,
                ObjectSource::Of(TextOf(row[6]), TextOf(row[6])));
    }
  }

  // (table, attnum) -> column name, for the columns constraints list by number.
  std::map<std::pair<std::string, std::string>, std::string> column_names;
  for (const auto& row : rows[kColumns]) {
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
    if (row[12]) parts.member_units[*row[12]] = TextOf(row[11]);
    parts.Add(TextOf(row[11]), "column " + TextOf(row[0]) + "." + TextOf(row[2]), definition,
              ColumnSource(row));
  }

  for (const auto& row : rows[kConstraints]) {
    if (IsBookkeepingTable(TextOf(row[1]))) continue;
    const std::string table = TextOf(row[0]), type = TextOf(row[2]), unit = TextOf(row[7]);
    parts.member_units[TextOf(row[8])] = unit;
    const std::string definition =
        WithoutPublic(Canonical(TextOf(row[3]), PostgresDefinition::kConstraint));
    const std::string columns_of = "(" + ColumnList(column_names, table, TextOf(row[4])) + ")";
    ObjectSource source = ObjectSource::Of(TextOf(row[6]), TextOf(row[5]), TextOf(row[3]));
    if (type == "p") {
      parts.Add(unit, "primary key " + table, columns_of, std::move(source));
    } else if (type == "u") {
      parts.Add(unit, "unique " + table + columns_of,
                definition.find(" where ") == std::string::npos ? "" : definition,
                std::move(source));
    } else if (type == "f") {
      // "foreign key (user_id) references users(id) on delete cascade" -> "-> users(id) ..."
      const size_t references = definition.find("references ");
      parts.Add(unit, "foreign key " + table + columns_of,
                "-> " + (references == std::string::npos ? definition
                                                         : definition.substr(references + 11)),
                std::move(source));
    } else {
      parts.Add(unit, (type == "c" ? "check " : "exclusion ") + table + ": " + definition, "",
                std::move(source));
    }
  }

  for (const auto& row : rows[kIndexes]) {
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
    parts.Add(TextOf(row[6]), "index " + TextOf(row[0]), definition,
              ObjectSource::Of(TextOf(row[5]), TextOf(row[4]), TextOf(row[3])));
  }

  for (const auto& row : rows[kSequences]) {
    if (IsBookkeepingTable(TextOf(row[1]))) continue;
    // An identity column's sequence is made and dropped with it (a serial's is not: it is
    // created on its own, its column's default names it).
    ObjectSource source = ObjectSource::Of(TextOf(row[9]), TextOf(row[8]));
    source.owned = row[9].has_value();
    source.sql = "CREATE SEQUENCE " + source.name + " AS " + TextOf(row[2]) + " START " +
                 TextOf(row[3]) + " INCREMENT " + TextOf(row[4]) + " MINVALUE " + TextOf(row[5]) +
                 " MAXVALUE " + TextOf(row[6]) + (TextOf(row[7]) == "t" ? " CYCLE" : "");
    parts.Add(TextOf(row[10]), "sequence " + TextOf(row[0]),
              TextOf(row[2]) + " start " + TextOf(row[3]) + " increment " + TextOf(row[4]) +
                  " min " + TextOf(row[5]) + " max " + TextOf(row[6]) +
                  (TextOf(row[7]) == "t" ? " cycle" : ""),
              std::move(source));
  }

  for (const auto& row : rows[kTriggers]) {
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
    parts.member_units[TextOf(row[7])] = TextOf(row[6]);
    parts.Add(TextOf(row[6]), "trigger " + TextOf(row[1]) + "." + TextOf(row[0]), definition,
              ObjectSource::Of(TextOf(row[5]), TextOf(row[4]), TextOf(row[3])));
  }
  AddCommentRows(rows[kComments], parts);
  return Status::Ok();
}

}  // namespace migrationd

namespace migrationd {

Result<DatabaseFacts> PostgresBackend::ReadLintFacts(int64_t count_rows_up_to,
                                                     const std::set<std::string>& count_tables) {
  // The planner's estimate (reltuples) is what PostgreSQL answers at once, for every table.
  (void)count_rows_up_to;
  (void)count_tables;
  DatabaseFacts facts;
  auto tables =
      Query("SELECT " + std::string(kRelationName) +
                ", c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid), "
                "COALESCE(s.seq_scan, 0) + COALESCE(s.idx_scan, 0), "
                "COALESCE(s.n_tup_ins, 0) + COALESCE(s.n_tup_upd, 0) + COALESCE(s.n_tup_del, 0), "
                "s.relid IS NOT NULL "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE " +
                std::string(kUserSchemas) + " AND c.relkind IN ('r', 'p') ORDER BY 1",
            {});
  if (!tables.ok()) return tables.status().WithContext("cannot read the tables' sizes");
  std::map<std::string, size_t> index;
  for (const auto& row : *tables) {
    if (IsBookkeepingTable(TextOf(row[1]))) continue;
    TableFacts table;
    table.name = TextOf(row[0]);
    // reltuples is -1 until the table was first vacuumed or analyzed (PostgreSQL 14+).
    const int64_t estimate = std::stoll(TextOf(row[2]).empty() ? "-1" : TextOf(row[2]));
    table.rows = estimate;
    table.rows_estimated = estimate >= 0;
    table.bytes = std::stoll(TextOf(row[3]).empty() ? "-1" : TextOf(row[3]));
    if (TextOf(row[6]) == "t") {
      table.scans = std::stoll(TextOf(row[4]));
      table.writes = std::stoll(TextOf(row[5]));
    }
    index[table.name] = facts.tables.size();
    facts.tables.push_back(std::move(table));
  }
  auto columns = Query("SELECT " + std::string(kRelationName) +
                           ", a.attname, format_type(a.atttypid, a.atttypmod) "
                           "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                           "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " +
                           std::string(kUserSchemas) +
                           " AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped "
                           "ORDER BY 1, a.attnum",
                       {});
  if (!columns.ok()) return columns.status().WithContext("cannot read the columns' types");
  for (const auto& row : *columns) {
    auto found = index.find(TextOf(row[0]));
    if (found == index.end()) continue;
    facts.tables[found->second].column_types.emplace_back(TextOf(row[1]), TextOf(row[2]));
  }
  // Validated CHECK (col IS NOT NULL) constraints: SET NOT NULL uses them instead of a scan.
  auto checks =
      Query("SELECT " + std::string(kRelationName) +
                ", a.attname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1] WHERE " +
                std::string(kUserSchemas) +
                " AND k.contype = 'c' AND k.convalidated AND cardinality(k.conkey) = 1 "
                "AND pg_get_constraintdef(k.oid) = 'CHECK ((' || quote_ident(a.attname) || "
                "' IS NOT NULL))'",
            {});
  if (!checks.ok()) return checks.status().WithContext("cannot read the check constraints");
  for (const auto& row : *checks) {
    auto found = index.find(TextOf(row[0]));
    if (found != index.end())
      facts.tables[found->second].not_null_checked.push_back(TextOf(row[1]));
  }
  return facts;
}

}  // namespace migrationd
