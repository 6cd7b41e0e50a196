#include "core/generate/migration_generator.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>

#include "core/scripts/script.h"

namespace migrationd {
namespace {

enum class Kind {
  kTable,
  kColumn,
  kPrimaryKey,
  kUnique,
  kForeignKey,
  kCheck,
  kExclusion,
  kIndex,
  kView,
  kMaterializedView,
  kTrigger,
  kSequence,
  kEnum,
  kFunction,
  kProcedure,
  kDomain,
  kCompositeType,
  kRange,
  kComment,
  kPolicy,
  kOther,
};

// The kind of an object from its key's prefix (core/schema/schema.h lists them).
Kind KindOf(const std::string& object) {
  static const std::array<std::pair<const char*, Kind>, 20> kPrefixes = {{
      {"materialized view ", Kind::kMaterializedView},
      {"primary key ", Kind::kPrimaryKey},
      {"foreign key ", Kind::kForeignKey},
      {"table ", Kind::kTable},
      {"column ", Kind::kColumn},
      {"unique ", Kind::kUnique},
      {"check ", Kind::kCheck},
      {"exclusion ", Kind::kExclusion},
      {"index ", Kind::kIndex},
      {"view ", Kind::kView},
      {"trigger ", Kind::kTrigger},
      {"sequence ", Kind::kSequence},
      {"enum ", Kind::kEnum},
      {"function ", Kind::kFunction},
      {"procedure ", Kind::kProcedure},
      {"domain ", Kind::kDomain},
      {"type ", Kind::kCompositeType},
      {"range ", Kind::kRange},
      {"comment on ", Kind::kComment},
      {"policy ", Kind::kPolicy},
  }};
  for (const auto& [prefix, kind] : kPrefixes) {
    if (object.rfind(prefix, 0) == 0) return kind;
  }
  return Kind::kOther;
}

bool IsConstraint(Kind kind) {
  return kind == Kind::kPrimaryKey || kind == Kind::kUnique || kind == Kind::kCheck ||
         kind == Kind::kExclusion;
}

// One difference with what recreates its object on each side (nullptr where absent).
struct Change {
  const SchemaDifference* difference;
  Kind kind;
  const ObjectSource* from;
  const ObjectSource* to;
  bool removes() const { return difference->change != '+'; }
  bool adds() const { return difference->change != '-'; }
};

// "column users.email" -> "email" (the part after the table's key).
std::string ColumnKeyName(const std::string& object) {
  const size_t dot = object.rfind('.');
  return dot == std::string::npos ? object : object.substr(dot + 1);
}

// "table users" -> "users"
std::string TableKeyName(const std::string& object) { return object.substr(6); }

std::string DoubleQuoted(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// Whether `word` occurs in `text` as a whole identifier (case-insensitive, quotes ignored).
bool Mentions(const std::string& text, const std::string& word) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string haystack = lower(text), needle = lower(word);
  auto is_word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  };
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    const bool starts = at == 0 || !is_word(haystack[at - 1]);
    const size_t end = at + needle.size();
    if (starts && (end == haystack.size() || !is_word(haystack[end]))) return true;
  }
  return false;
}

// Views in an order where a view comes after the views its query names (names alone: a view
// named in a string literal only orders too early, which is harmless).
std::vector<const ObjectSource*> InCreationOrder(std::vector<const ObjectSource*> views) {
  std::vector<const ObjectSource*> ordered;
  while (!views.empty()) {
    auto ready = std::find_if(views.begin(), views.end(), [&](const ObjectSource* view) {
      return std::none_of(views.begin(), views.end(), [&](const ObjectSource* other) {
        return other != view && Mentions(view->sql, other->name);
      });
    });
    if (ready == views.end()) ready = views.begin();  // a cycle: the database will say
    ordered.push_back(*ready);
    views.erase(ready);
  }
  return ordered;
}

std::string Statement(std::string sql) {
  while (!sql.empty() &&
         (sql.back() == ';' || std::isspace(static_cast<unsigned char>(sql.back())))) {
    sql.pop_back();
  }
  return sql + ";";
}

// What both engines' generators share: the differences with their sources, which tables come
// and go, and the output.
class GeneratorBase {
 public:
  GeneratorBase(const NormalizedSchema& from, const NormalizedSchema& to)
      : from_(from), to_(to), differences_(DiffSchemas(from, to)) {
    // A new partitioned table (PARTITION BY and its partitions) is left to the developer, and
    // with it everything of it: one TODO item.
    std::set<std::string> left_out;
    for (const auto& difference : differences_) {
      const bool added = difference.change == '+';
      const ObjectSource* table = (added ? to : from).source(difference.object);
      const std::string& definition = added ? difference.actual : difference.expected;
      if (difference.change != '~' && KindOf(difference.object) == Kind::kTable &&
          table != nullptr && definition.rfind("partitioned", 0) == 0) {
        left_out.insert(table->table);
        out_.not_generated.push_back(difference);
      }
    }
    for (const auto& difference : differences_) {
      Change change{&difference, KindOf(difference.object), from.source(difference.object),
                    to.source(difference.object)};
      const ObjectSource* own = change.adds() ? change.to : change.from;
      if (own != nullptr && left_out.count(own->table) > 0) {
        if (change.kind != Kind::kTable) out_.covered.push_back(difference.object);
        continue;
      }
      if (change.kind == Kind::kOther || (change.removes() && change.from == nullptr) ||
          (change.adds() && change.to == nullptr)) {
        out_.not_generated.push_back(difference);
        continue;
      }
      if (change.kind == Kind::kTable && difference.change == '-') {
        dropped_tables_.insert(change.from->table);
      }
      if (change.kind == Kind::kTable && difference.change == '+') {
        new_tables_.insert(change.to->table);
      }
      changes_.push_back(change);
    }
  }

 protected:
  void NotGenerated(const Change& change) { out_.not_generated.push_back(*change.difference); }
  bool Dropped(const ObjectSource* source) const {
    return source != nullptr && dropped_tables_.count(source->table) > 0;
  }
  bool New(const ObjectSource* source) const {
    return source != nullptr && new_tables_.count(source->table) > 0;
  }
  // The objects of `schema` of `kind` (with a source) that belong to `table` ("" : all).
  std::vector<const ObjectSource*> Of(const NormalizedSchema& schema, Kind kind,
                                      const std::string& table = "") const {
    std::vector<const ObjectSource*> found;
    for (const auto& [object, definition] : schema.objects()) {
      const ObjectSource* source = schema.source(object);
      if (source != nullptr && KindOf(object) == kind && (table.empty() || source->table == table))
        found.push_back(source);
    }
    if (kind == Kind::kColumn) {
      std::sort(found.begin(), found.end(), [](const ObjectSource* a, const ObjectSource* b) {
        return a->ordinal < b->ordinal;
      });
    }
    return found;
  }

  const NormalizedSchema& from_;
  const NormalizedSchema& to_;
  const std::vector<SchemaDifference> differences_;
  std::vector<Change> changes_;
  std::set<std::string> dropped_tables_, new_tables_;  // quoted names
  GeneratedStatements out_;
};

// PostgreSQL: everything in place, in phases so that nothing is created before what it needs
// or dropped after what needs it is gone.
class PostgresGenerator : public GeneratorBase {
 public:
  PostgresGenerator(const NormalizedSchema& from, const NormalizedSchema& to, bool online)
      : GeneratorBase(from, to), online_(online) {}

  GeneratedStatements Generate() && {
    for (const auto& change : changes_) Place(change);
    for (const auto& table : new_tables_) phases_[kCreateTables].push_back(CreateTable(table));
    std::vector<const ObjectSource*> views;
    for (const auto& change : changes_) {
      if ((change.kind == Kind::kView || change.kind == Kind::kMaterializedView) && change.adds())
        views.push_back(change.to);
    }
    for (const ObjectSource* view : InCreationOrder(views)) {
      phases_[kCreateViews].push_back(Statement(view->sql));
    }
    for (auto& phase : phases_) {
      for (auto& statement : phase) out_.statements.push_back(std::move(statement));
    }
    return std::move(out_);
  }

 private:
  enum Phase {
    kAlterEnums,  // first: ADD VALUE, and the recreation that drops labels
    kDropPolicies,
    kDropForeignKeys,
    kDropViews,
    kDropTriggers,
    kDropIndexes,
    kDropConstraints,
    kDropColumns,
    kDropTables,
    kDropSequences,
    kDropFunctions,
    kDropOtherTypes,  // domains, composite and range types, which may be of an enum
    kDropTypes,
    kCreateTypes,
    kCreateOtherTypes,
    kCreateFunctions,  // before the tables, whose defaults and checks may call them
    kCreateSequences,
    kCreateTables,
    kAddColumns,
    kAlterColumns,
    kCreateSqlFunctions,  // LANGUAGE sql bodies are checked at creation: after the tables
    kAddConstraints,
    kAddForeignKeys,
    kValidate,  // --online: NOT VALID constraints checked, without blocking writes
    kCreateIndexes,
    kCreateViews,
    kCreateTriggers,
    kRowSecurity,
    kCreatePolicies,
    kComments,
    kPhaseCount,
  };

  void Add(Phase phase, const std::string& sql) { phases_[phase].push_back(Statement(sql)); }

  void Place(const Change& change) {
    const ObjectSource* from = change.from;
    const ObjectSource* to = change.to;
    switch (change.kind) {
      case Kind::kTable:
        if (change.difference->change == '~') {
          const bool partitioned_before = change.difference->expected.rfind("partitioned", 0) == 0;
          const bool partitioned_after = change.difference->actual.rfind("partitioned", 0) == 0;
          if (partitioned_before != partitioned_after) return NotGenerated(change);
          return RowSecurity(to->table, change.difference->expected, change.difference->actual);
        }
        if (change.adds()) RowSecurity(to->table, "", change.difference->actual);
        if (change.removes()) {
          Add(kDropTables, "DROP TABLE " + from->name);
          out_.data_loss.push_back(change.difference->object + " dropped: its rows are lost");
        }
        return;  // new tables are written whole (CreateTable)
      case Kind::kColumn:
        if (change.difference->change == '~') return AlterColumn(change);
        if (change.removes() && !Dropped(from)) {
          Add(kDropColumns, "ALTER TABLE " + from->table + " DROP COLUMN " + from->name);
          out_.data_loss.push_back(change.difference->object + " dropped: its values are lost");
        }
        if (change.adds() && !New(to)) {
          Add(kAddColumns, "ALTER TABLE " + to->table + " ADD COLUMN " + to->sql);
        }
        return;
      case Kind::kPrimaryKey:
      case Kind::kUnique:
      case Kind::kCheck:
      case Kind::kExclusion:
        if (change.removes() && !Dropped(from)) {
          Add(kDropConstraints, "ALTER TABLE " + from->table + " DROP CONSTRAINT " + from->name);
        }
        if (change.adds() && !New(to)) AddConstraint(change.kind, *to);
        return;
      case Kind::kForeignKey:
        // Also those of tables being dropped: then the tables can go in any order.
        if (change.removes()) {
          Add(kDropForeignKeys, "ALTER TABLE " + from->table + " DROP CONSTRAINT " + from->name);
        }
        if (change.adds() && online_ && !New(to)) {
          AddNotValid(kAddForeignKeys, *to);
        } else if (change.adds()) {
          Add(kAddForeignKeys,
              "ALTER TABLE " + to->table + " ADD CONSTRAINT " + to->name + " " + to->sql);
        }
        return;
      case Kind::kIndex:
        if (change.removes() && !Dropped(from)) {
          Add(kDropIndexes, (online_ ? "DROP INDEX CONCURRENTLY " : "DROP INDEX ") + from->name);
          out_.non_transactional = out_.non_transactional || online_;
        }
        if (change.adds())
          Add(kCreateIndexes, online_ && !New(to) ? Concurrently(to->sql) : to->sql);
        return;
      case Kind::kView:
      case Kind::kMaterializedView:
        if (change.removes()) {
          Add(kDropViews,
              std::string(change.kind == Kind::kView ? "DROP VIEW " : "DROP MATERIALIZED VIEW ") +
                  from->name);
        }
        return;  // created in dependency order (Generate)
      case Kind::kTrigger:
        if (change.removes() && !Dropped(from)) {
          Add(kDropTriggers, "DROP TRIGGER " + from->name + " ON " + from->table);
        }
        if (change.adds()) Add(kCreateTriggers, to->sql);
        return;
      case Kind::kSequence:
        if (change.difference->change == '~') {
          // An identity column's sequence changes through its column: left to the developer.
          if (from->owned || to->owned) return NotGenerated(change);
          // "CREATE SEQUENCE s AS bigint START 1 ... [CYCLE]": ALTER takes the same clauses.
          Add(kCreateSequences,
              "ALTER" + to->sql.substr(6) + (to->sql.ends_with(" CYCLE") ? "" : " NO CYCLE"));
          return;
        }
        // Identity sequences come and go with their columns.
        if (change.removes() && !from->owned) {
          Add(kDropSequences, "DROP SEQUENCE IF EXISTS " + from->name);
        }
        if (change.adds() && !to->owned) Add(kCreateSequences, to->sql);
        return;
      case Kind::kEnum:
        if (change.difference->change == '~') return AlterEnum(change);
        if (change.removes()) Add(kDropTypes, "DROP TYPE " + from->name);
        if (change.adds()) Add(kCreateTypes, to->sql);
        return;
      case Kind::kFunction:
      case Kind::kProcedure:
        // A changed body is CREATE OR REPLACE (what pg_get_functiondef prints).
        if (change.difference->change == '-') {
          Add(kDropFunctions,
              std::string(change.kind == Kind::kFunction ? "DROP FUNCTION " : "DROP PROCEDURE ") +
                  from->name);
        }
        if (change.adds()) Add(to->type == "sql" ? kCreateSqlFunctions : kCreateFunctions, to->sql);
        return;
      case Kind::kDomain:
      case Kind::kCompositeType:
      case Kind::kRange:
        // ALTER DOMAIN / ALTER TYPE ... ATTRIBUTE would change one in place: left to the
        // developer.
        if (change.difference->change == '~') return NotGenerated(change);
        if (change.removes()) {
          Add(kDropOtherTypes,
              (change.kind == Kind::kDomain ? "DROP DOMAIN " : "DROP TYPE ") + from->name);
        }
        if (change.adds()) Add(kCreateOtherTypes, to->sql);
        return;
      case Kind::kComment:
        if (change.adds()) {
          Add(kComments, to->sql);
        } else if (to_.objects().count(CommentedObject(change.difference->object, to_)) > 0) {
          // The object stays, its comment goes (a dropped object takes its comment along).
          Add(kComments, "COMMENT ON " + from->type + " " + from->name + " IS NULL");
        }
        return;
      case Kind::kPolicy:
        if (change.removes() && !Dropped(from)) {
          Add(kDropPolicies, "DROP POLICY " + from->name + " ON " + from->table);
        }
        if (change.adds()) Add(kCreatePolicies, to->sql);
        return;
      case Kind::kOther:
        return NotGenerated(change);
    }
  }

  // "comment on column users.email" -> "column users.email"; functions and types by what
  // `schema` has under that name.
  static std::string CommentedObject(const std::string& comment, const NormalizedSchema& schema) {
    std::string object = comment.substr(11);
    for (const auto& [kind, alternatives] :
         std::vector<std::pair<std::string, std::vector<std::string>>>{
             {"function ", {"function ", "procedure "}},
             {"type ", {"enum ", "domain ", "type ", "range "}}}) {
      if (object.rfind(kind, 0) != 0) continue;
      for (const auto& alternative : alternatives) {
        std::string candidate = alternative + object.substr(kind.size());
        if (schema.objects().count(candidate)) return candidate;
      }
    }
    return object;
  }

  // Row-level security is part of a table's definition ("row security forced").
  void RowSecurity(const std::string& table, const std::string& from, const std::string& to) {
    const bool was_on = from.find("row security") != std::string::npos;
    const bool is_on = to.find("row security") != std::string::npos;
    const bool was_forced = from.find("forced") != std::string::npos;
    const bool is_forced = to.find("forced") != std::string::npos;
    if (was_on != is_on) {
      Add(kRowSecurity,
          "ALTER TABLE " + table + (is_on ? " ENABLE" : " DISABLE") + " ROW LEVEL SECURITY");
    }
    if (was_forced != is_forced) {
      Add(kRowSecurity,
          "ALTER TABLE " + table + (is_forced ? " FORCE" : " NO FORCE") + " ROW LEVEL SECURITY");
    }
  }

  // "('a', 'it''s', E'\\x')" -> the literals as written.
  static std::vector<std::string> EnumLabels(const std::string& definition) {
    std::vector<std::string> labels;
    for (size_t i = 0; i < definition.size(); ++i) {
      size_t start = i;
      if (definition[i] == 'E' && i + 1 < definition.size() && definition[i + 1] == '\'') ++i;
      if (definition[i] != '\'') continue;
      for (++i; i < definition.size(); ++i) {
        if (definition[i] != '\'') continue;
        if (i + 1 < definition.size() && definition[i + 1] == '\'') {
          ++i;
          continue;
        }
        break;
      }
      labels.push_back(definition.substr(start, i - start + 1));
    }
    return labels;
  }

  // Labels added anywhere are ADD VALUE ... BEFORE/AFTER, in place. Labels removed or reordered
  // need the type made again: the old one renamed, the new one created, every column of the
  // type converted through text (a row holding a removed label fails the cast, and so the
  // revision: nothing is lost silently), the old type dropped.
  void AlterEnum(const Change& change) {
    const std::vector<std::string> from = EnumLabels(change.difference->expected);
    const std::vector<std::string> to = EnumLabels(change.difference->actual);
    const std::string& type = change.to->name;
    size_t kept = 0;  // how many of `from` appear in `to` in order
    for (const auto& label : to) {
      if (kept < from.size() && label == from[kept]) ++kept;
    }
    if (kept == from.size()) {
      for (size_t i = 0, seen = 0; i < to.size(); ++i) {
        if (seen < from.size() && to[i] == from[seen]) {
          ++seen;
          continue;
        }
        Add(kAlterEnums, "ALTER TYPE " + type + " ADD VALUE " + to[i] +
                             (i > 0 ? " AFTER " + to[i - 1] : " BEFORE " + to[i + 1]));
      }
      return;
    }
    const std::string old_name = type + "_migrationd_old";
    Add(kAlterEnums, "ALTER TYPE " + type + " RENAME TO " + old_name);
    Add(kAlterEnums, change.to->sql);
    for (const ObjectSource* column : Of(to_, Kind::kColumn)) {
      if (column->type != type) continue;
      const std::string alter = "ALTER TABLE " + column->table + " ALTER COLUMN " + column->name;
      if (!column->default_sql.empty()) Add(kAlterEnums, alter + " DROP DEFAULT");
      Add(kAlterEnums, alter + " TYPE " + type + " USING " + column->name + "::text::" + type);
      if (!column->default_sql.empty())
        Add(kAlterEnums, alter + " SET DEFAULT " + column->default_sql);
    }
    Add(kAlterEnums, "DROP TYPE " + old_name);
    out_.data_loss.push_back(change.difference->object +
                             " loses labels: rows holding them make "
                             "the revision fail");
  }

  // "GENERATED ... AS IDENTITY" or "GENERATED ALWAYS AS (...) STORED" of a column, or "".
  static std::string Generation(const ObjectSource& column) {
    const size_t at = column.sql.find(" GENERATED ");
    if (at == std::string::npos) return "";
    std::string generation = column.sql.substr(at);
    if (const size_t not_null = generation.rfind(" NOT NULL");
        not_null != std::string::npos && not_null + 9 == generation.size()) {
      generation.erase(not_null);
    }
    return generation;
  }

  // "CREATE [UNIQUE] INDEX name ..." -> "CREATE [UNIQUE] INDEX CONCURRENTLY name ...".
  std::string Concurrently(const std::string& create_index) {
    const size_t index = create_index.find("INDEX ");
    if (index == std::string::npos) return create_index;
    out_.non_transactional = true;
    return create_index.substr(0, index + 6) + "CONCURRENTLY " + create_index.substr(index + 6);
  }

  // ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT: the scan no longer holds a lock
  // that blocks writes.
  void AddNotValid(Phase phase, const ObjectSource& constraint) {
    Add(phase, "ALTER TABLE " + constraint.table + " ADD CONSTRAINT " + constraint.name + " " +
                   constraint.sql + " NOT VALID");
    Add(kValidate, "ALTER TABLE " + constraint.table + " VALIDATE CONSTRAINT " + constraint.name);
  }

  // A key, unique or check constraint on a table that exists already.
  void AddConstraint(Kind kind, const ObjectSource& constraint) {
    const std::string add =
        "ALTER TABLE " + constraint.table + " ADD CONSTRAINT " + constraint.name;
    if (online_ && kind == Kind::kCheck) return AddNotValid(kAddConstraints, constraint);
    const char* keyword = kind == Kind::kUnique ? "UNIQUE (" : "PRIMARY KEY (";
    if (online_ && (kind == Kind::kUnique || kind == Kind::kPrimaryKey) &&
        constraint.sql.rfind(keyword, 0) == 0) {
      // The index built CONCURRENTLY first, then the constraint takes it over at once.
      const std::string columns = constraint.sql.substr(std::string(keyword).size() - 1);
      Add(kAddConstraints, Concurrently("CREATE UNIQUE INDEX " + constraint.name + " ON " +
                                        constraint.table + " " + columns));
      Add(kAddConstraints, add + (kind == Kind::kUnique ? " UNIQUE" : " PRIMARY KEY") +
                               " USING INDEX " + constraint.name);
      return;
    }
    Add(kAddConstraints, add + " " + constraint.sql);
  }

  // An identity added, dropped or switched between ALWAYS and BY DEFAULT (a stored generated
  // column's expression cannot change in place on PostgreSQL 15: false).
  static bool IdentityOrNothing(const ObjectSource& column) {
    const std::string generation = Generation(column);
    return generation.empty() || generation.find(" AS IDENTITY") != std::string::npos;
  }

  // After the column's nullability changed: an identity needs NOT NULL.
  void AlterIdentity(const Change& change) {
    const std::string from = Generation(*change.from), to = Generation(*change.to);
    const std::string alter =
        "ALTER TABLE " + change.to->table + " ALTER COLUMN " + change.to->name;
    const std::string kind = to.find("ALWAYS") != std::string::npos ? "ALWAYS" : "BY DEFAULT";
    if (from.empty()) {
      Add(kAlterColumns, alter + " ADD GENERATED " + kind + " AS IDENTITY");
    } else if (to.empty()) {
      Add(kAlterColumns, alter + " DROP IDENTITY");
    } else {
      Add(kAlterColumns, alter + " SET GENERATED " + kind);
    }
  }

  void AlterColumn(const Change& change) {
    const ObjectSource& from = *change.from;
    const ObjectSource& to = *change.to;
    const bool generation_changes = Generation(from) != Generation(to);
    if (generation_changes && !(IdentityOrNothing(from) && IdentityOrNothing(to))) {
      // A stored generated column holds nothing that cannot be computed again: it is dropped
      // and added with its new definition (PostgreSQL 15 cannot change the expression in
      // place). It moves to the end of the table (a column order note says so).
      Add(kAlterColumns, "ALTER TABLE " + to.table + " DROP COLUMN " + from.name);
      Add(kAlterColumns, "ALTER TABLE " + to.table + " ADD COLUMN " + to.sql);
      return;
    }
    const std::string alter = "ALTER TABLE " + to.table + " ALTER COLUMN " + to.name;
    if (from.type != to.type) {
      Add(kAlterColumns, alter + " TYPE " + to.type + " USING " + to.name + "::" + to.type);
    }
    if (from.default_sql != to.default_sql) {
      Add(kAlterColumns,
          alter + (to.default_sql.empty() ? " DROP DEFAULT" : " SET DEFAULT " + to.default_sql));
    }
    if (from.not_null != to.not_null && to.not_null && online_) {
      // SET NOT NULL scans the table under ACCESS EXCLUSIVE unless a validated check already
      // proves it: the check is added NOT VALID, validated, used, and dropped.
      const std::string check =
          QuoteIdentifier(ColumnKeyName(change.difference->object) + "_not_null");
      const std::string table = "ALTER TABLE " + to.table;
      Add(kAlterColumns,
          table + " ADD CONSTRAINT " + check + " CHECK (" + to.name + " IS NOT NULL) NOT VALID");
      Add(kAlterColumns, table + " VALIDATE CONSTRAINT " + check);
      Add(kAlterColumns, alter + " SET NOT NULL");
      Add(kAlterColumns, table + " DROP CONSTRAINT " + check);
    } else if (from.not_null != to.not_null) {
      // An identity column cannot lose NOT NULL: its identity goes first.
      if (generation_changes && Generation(to).empty()) AlterIdentity(change);
      Add(kAlterColumns, alter + (to.not_null ? " SET NOT NULL" : " DROP NOT NULL"));
      if (generation_changes && Generation(to).empty()) return;
    }
    // A new identity needs NOT NULL first.
    if (generation_changes) AlterIdentity(change);
  }

  // CREATE TABLE with its columns in their order and its own constraints (foreign keys come
  // after every table exists).
  std::string CreateTable(const std::string& table) const {
    std::string body;
    for (const ObjectSource* column : Of(to_, Kind::kColumn, table)) {
      body += (body.empty() ? "\n    " : ",\n    ") + column->sql;
    }
    for (Kind kind : {Kind::kPrimaryKey, Kind::kUnique, Kind::kCheck, Kind::kExclusion}) {
      for (const ObjectSource* constraint : Of(to_, kind, table)) {
        body += ",\n    CONSTRAINT " + constraint->name + " " + constraint->sql;
      }
    }
    return "CREATE TABLE " + table + " (" + body + "\n);";
  }

  const bool online_;
  std::array<std::vector<std::string>, kPhaseCount> phases_;
};

// SQLite: new tables, indexes, views and triggers as their CREATE statements were stored; a
// changed table in place when ALTER TABLE can, else rebuilt.
class SqliteGenerator : public GeneratorBase {
 public:
  using GeneratorBase::GeneratorBase;

  GeneratedStatements Generate() && {
    std::map<std::string, std::vector<const Change*>> table_changes;  // by quoted table
    for (const auto& change : changes_) {
      const ObjectSource* source = change.adds() ? change.to : change.from;
      // A table's own change (WITHOUT ROWID and the like), or one of its columns or keys.
      const bool table_itself = change.kind == Kind::kTable && change.difference->change == '~';
      const bool part_of_table = (change.kind == Kind::kColumn ||
                                  change.kind == Kind::kForeignKey || IsConstraint(change.kind)) &&
                                 !Dropped(source) && !New(source);
      if (table_itself || part_of_table) {
        table_changes[source->table].push_back(&change);
      }
    }
    for (const auto& [table, changes] : table_changes) {
      if (!InPlace(changes)) rebuilt_.insert(table);
    }
    // Columns in another order: only a rebuild (CREATE TABLE in the desired order) gives it.
    for (const auto& order : DiffColumnOrder(from_, to_)) {
      const ObjectSource* table = to_.source("table " + order.object.substr(13));
      if (table == nullptr) continue;
      table_changes[table->table];
      rebuilt_.insert(table->table);
    }
    const bool rebuilding = !rebuilt_.empty();
    out_.needs_foreign_keys_off = rebuilding;
    // Renaming a rebuilt table checks every view and trigger of the schema against it, and
    // those that name the old table fail: all are dropped first and made again at the end.
    for (Kind kind : {Kind::kTrigger, Kind::kView}) {
      for (const auto& change : changes_) {
        if (change.kind == kind && change.removes() && !rebuilding && !Dropped(change.from))
          Drop(kind, *change.from);
      }
      if (rebuilding) {
        for (const ObjectSource* source : Of(from_, kind)) Drop(kind, *source);
      }
    }
    for (const auto& change : changes_) {
      if (change.kind == Kind::kIndex && change.removes() && !Dropped(change.from) &&
          rebuilt_.count(change.from->table) == 0)
        Drop(Kind::kIndex, *change.from);
    }
    for (const Change* change : ChildrenFirst(Dropping(Kind::kTable))) {
      Write("DROP TABLE " + change->from->name);
      out_.data_loss.push_back(change->difference->object + " dropped: its rows are lost");
    }
    for (const auto& change : changes_) {
      if (change.kind == Kind::kTable && change.difference->change == '+') Write(change.to->sql);
    }
    for (const auto& [table, changes] : table_changes) {
      if (rebuilt_.count(table)) {
        Rebuild(table, changes);
      } else {
        AlterInPlace(changes);
      }
    }
    for (const auto& change : changes_) {
      if (change.kind == Kind::kIndex && change.adds() && rebuilt_.count(change.to->table) == 0)
        Write(change.to->sql);
    }
    for (const auto& table : rebuilt_) {
      for (const ObjectSource* index : Of(to_, Kind::kIndex, table)) Write(index->sql);
    }
    std::vector<const ObjectSource*> views, triggers;
    if (rebuilding) {
      views = Of(to_, Kind::kView);
      triggers = Of(to_, Kind::kTrigger);
    } else {
      for (const auto& change : changes_) {
        if (change.kind == Kind::kView && change.adds()) views.push_back(change.to);
        if (change.kind == Kind::kTrigger && change.adds()) triggers.push_back(change.to);
      }
    }
    for (const ObjectSource* view : InCreationOrder(views)) Write(view->sql);
    for (const ObjectSource* trigger : triggers) Write(trigger->sql);
    for (const auto& change : changes_) {
      if (change.kind == Kind::kSequence || change.kind == Kind::kMaterializedView ||
          change.kind == Kind::kExclusion)
        NotGenerated(change);
    }
    return std::move(out_);
  }

 private:
  void Write(const std::string& sql) { out_.statements.push_back(Statement(sql)); }

  std::vector<const Change*> Dropping(Kind kind) const {
    std::vector<const Change*> found;
    for (const auto& change : changes_) {
      if (change.kind == kind && change.difference->change == '-') found.push_back(&change);
    }
    return found;
  }

  // Tables to drop, those whose foreign keys point at another of them first: with foreign
  // keys on, dropping a parent whose children still have rows fails.
  std::vector<const Change*> ChildrenFirst(std::vector<const Change*> tables) const {
    // "foreign key orders(user_id)" -> "-> users(id) ..." : (orders, users) by key names.
    std::set<std::pair<std::string, std::string>> references;
    for (const auto& [object, definition] : from_.objects()) {
      if (KindOf(object) != Kind::kForeignKey || definition.rfind("-> ", 0) != 0) continue;
      const std::string child = object.substr(12, object.find('(') - 12);
      references.insert({child, definition.substr(3, definition.find('(') - 3)});
    }
    std::vector<const Change*> ordered;
    while (!tables.empty()) {
      auto ready = std::find_if(tables.begin(), tables.end(), [&](const Change* table) {
        const std::string name = TableKeyName(table->difference->object);
        return std::none_of(tables.begin(), tables.end(), [&](const Change* other) {
          return other != table &&
                 references.count({TableKeyName(other->difference->object), name}) > 0;
        });
      });
      if (ready == tables.end()) ready = tables.begin();  // a cycle: foreign keys are off then
      ordered.push_back(*ready);
      tables.erase(ready);
    }
    return ordered;
  }

  void Drop(Kind kind, const ObjectSource& source) {
    Write(std::string(kind == Kind::kTrigger ? "DROP TRIGGER "
                      : kind == Kind::kView  ? "DROP VIEW "
                                             : "DROP INDEX ") +
          source.name);
  }

  // A column ALTER TABLE ADD COLUMN takes: not a key, and a NOT NULL column only with a
  // constant default (SQLite fills existing rows with it). The column is written from its
  // type, nullability and default alone, so a table whose CREATE text says more of some column
  // (a collation, an inline reference, a generated column) is rebuilt from that text instead.
  bool Addable(const ObjectSource& column) const {
    std::string upper;
    for (char c : column.default_sql)
      upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    const bool constant_default =
        !upper.empty() && upper.front() != '(' && upper.find("CURRENT_") == std::string::npos;
    const ObjectSource* table = nullptr;
    for (const ObjectSource* candidate : Of(to_, Kind::kTable, column.table)) table = candidate;
    const bool plain_table = table != nullptr && !Mentions(table->sql, "collate") &&
                             !Mentions(table->sql, "generated") && !Mentions(table->sql, "as");
    return plain_table && (!column.not_null || constant_default) &&
           (upper.empty() || constant_default);
  }

  // Whether anything of the old schema uses a column, so that DROP COLUMN would be refused:
  // a key or check of its table, an index, a view or a trigger.
  bool Used(const Change& column) const {
    const std::string name = ColumnKeyName(column.difference->object);
    for (const auto& [object, definition] : from_.objects()) {
      const ObjectSource* source = from_.source(object);
      if (source == nullptr) continue;
      const Kind kind = KindOf(object);
      if ((IsConstraint(kind) || kind == Kind::kForeignKey) &&
          source->table == column.from->table &&
          (Mentions(object, name) || Mentions(definition, name)))
        return true;
      if ((kind == Kind::kIndex || kind == Kind::kView || kind == Kind::kTrigger) &&
          Mentions(source->sql, name))
        return true;
    }
    return false;
  }

  // Only added columns ALTER TABLE can add, or only dropped columns nothing uses.
  bool InPlace(const std::vector<const Change*>& changes) const {
    const bool all_added = std::all_of(changes.begin(), changes.end(), [&](const Change* change) {
      return change->kind == Kind::kColumn && change->difference->change == '+' &&
             Addable(*change->to);
    });
    const bool all_dropped = std::all_of(changes.begin(), changes.end(), [&](const Change* change) {
      return change->kind == Kind::kColumn && change->difference->change == '-' && !Used(*change);
    });
    return all_added || all_dropped;
  }

  void AlterInPlace(const std::vector<const Change*>& changes) {
    for (const Change* change : changes) {
      if (change->difference->change == '+') {
        Write("ALTER TABLE " + change->to->table + " ADD COLUMN " + change->to->sql);
      } else {
        Write("ALTER TABLE " + change->from->table + " DROP COLUMN " + change->from->name);
        out_.data_loss.push_back(change->difference->object + " dropped: its values are lost");
      }
    }
  }

  // The documented twelve steps (sqlite.org/lang_altertable.html#otheralter), the foreign keys
  // being off around the transaction (the script's header): create the new shape, copy the
  // columns both have, drop the old table, rename the new one; indexes, triggers and views
  // are made again afterwards.
  void Rebuild(const std::string& table, const std::vector<const Change*>& changes) {
    const ObjectSource* old_table = nullptr;
    const ObjectSource* new_table = nullptr;
    std::string key_name;
    for (const auto& [object, definition] : from_.objects()) {
      if (KindOf(object) == Kind::kTable && from_.source(object)->table == table)
        old_table = from_.source(object);
    }
    for (const auto& [object, definition] : to_.objects()) {
      if (KindOf(object) == Kind::kTable && to_.source(object)->table == table) {
        new_table = to_.source(object);
        key_name = TableKeyName(object);
      }
    }
    const size_t open = new_table == nullptr ? std::string::npos : new_table->sql.find('(');
    if (old_table == nullptr || open == std::string::npos) {
      for (const Change* change : changes) NotGenerated(*change);
      return;
    }
    const std::string temporary = DoubleQuoted("_migrationd_new_" + key_name);
    std::set<std::string> old_columns;
    for (const ObjectSource* column : Of(from_, Kind::kColumn, table))
      old_columns.insert(column->name);
    std::string common;
    for (const ObjectSource* column : Of(to_, Kind::kColumn, table)) {
      if (old_columns.count(column->name)) common += (common.empty() ? "" : ", ") + column->name;
    }
    for (const Change* change : changes) {
      if (change->kind == Kind::kColumn && change->difference->change == '-')
        out_.data_loss.push_back(change->difference->object + " dropped: its values are lost");
    }
    Write("CREATE TABLE " + temporary + " " + new_table->sql.substr(open));
    if (!common.empty()) {
      Write("INSERT INTO " + temporary + " (" + common + ") SELECT " + common + " FROM " + table);
    }
    Write("DROP TABLE " + table);
    Write("ALTER TABLE " + temporary + " RENAME TO " + table);
  }

  std::set<std::string> rebuilt_;  // quoted names
};

// `text` with every whole-word `word` (as Mentions finds it) replaced by `with`.
std::string ReplaceWord(const std::string& text, const std::string& word, const std::string& with) {
  auto is_word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  };
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t found = text.find(word, at);
    if (found == std::string::npos) break;
    const size_t end = found + word.size();
    const bool whole =
        (found == 0 || !is_word(text[found - 1])) && (end == text.size() || !is_word(text[end]));
    out += text.substr(at, found - at) + (whole ? with : word);
    at = end;
  }
  return out + text.substr(std::min(at, text.size()));
}

// The key's table part: "column users.email" -> (7, "users"); "check users: ..." -> (6, ...).
// npos when the key names no table.
size_t TablePosition(const std::string& object) {
  static const char* const kOwned[] = {"column ", "primary key ", "unique ", "foreign key ",
                                       "check ",  "exclusion ",   "trigger "};
  for (const char* prefix : kOwned) {
    if (object.rfind(prefix, 0) == 0) return std::string(prefix).size();
  }
  return std::string::npos;
}

// Whether `object`'s key belongs to `table` (its table part is exactly that name).
bool KeyOfTable(const std::string& object, const std::string& table) {
  const size_t at = TablePosition(object);
  if (at == std::string::npos || object.compare(at, table.size(), table) != 0) return false;
  const size_t end = at + table.size();
  return end == object.size() || object[end] == '.' || object[end] == '(' || object[end] == ':';
}

// `schema` as it is after `rename` ran on it: the keys, definitions and sources that name the
// renamed table or column name the new one. (What the database itself rewrites: a foreign key
// pointing at the table, a view or trigger reading the column.)
NormalizedSchema Renamed(const NormalizedSchema& schema, const Rename& rename) {
  NormalizedSchema renamed;
  const std::string new_quoted = QuoteIdentifier(rename.to);
  for (const auto& [object, definition] : schema.objects()) {
    std::string key = object, text = definition;
    const ObjectSource* original = schema.source(object);
    ObjectSource source = original != nullptr ? *original : ObjectSource();
    if (!rename.column) {
      const std::string& old_quoted = schema.source("table " + rename.from)->table;
      if (key == "table " + rename.from) key = "table " + rename.to;
      if (KeyOfTable(key, rename.from)) {
        key = key.substr(0, TablePosition(key)) + rename.to +
              key.substr(TablePosition(key) + rename.from.size());
      }
      text = ReplaceWord(text, rename.from, rename.to);
      if (source.table == old_quoted) source.table = new_quoted;
      if (KindOf(object) == Kind::kTable && source.name == old_quoted) source.name = new_quoted;
    } else {
      const bool of_table = KeyOfTable(key, rename.table);
      const bool reads_it = KindOf(object) == Kind::kView || KindOf(object) == Kind::kTrigger ||
                            KindOf(object) == Kind::kIndex || Mentions(definition, rename.table);
      if (of_table) {
        const size_t after = TablePosition(key) + rename.table.size();
        key = key.substr(0, after) + ReplaceWord(key.substr(after), rename.from, rename.to);
      }
      if (of_table || reads_it) text = ReplaceWord(text, rename.from, rename.to);
      if (key == "column " + rename.table + "." + rename.to && original != nullptr) {
        source.name = new_quoted;
        source.sql =
            new_quoted + source.sql.substr(std::min(source.sql.size(), original->name.size()));
      }
    }
    if (original != nullptr) {
      renamed.Add(key, text, std::move(source));
    } else {
      renamed.Add(key, text);
    }
  }
  return renamed;
}

// The RENAME statement, on `from` as the earlier renames left it (CheckRenames: the names are
// there).
std::string RenameStatement(const Rename& rename, const NormalizedSchema& from) {
  if (!rename.column) {
    return "ALTER TABLE " + from.source("table " + rename.from)->table + " RENAME TO " +
           QuoteIdentifier(rename.to) + ";";
  }
  const ObjectSource* column = from.source("column " + rename.table + "." + rename.from);
  return "ALTER TABLE " + column->table + " RENAME COLUMN " + column->name + " TO " +
         QuoteIdentifier(rename.to) + ";";
}

// The column definitions of `table` in `schema`, without their names, sorted.
std::vector<std::string> ColumnShapes(const NormalizedSchema& schema, const std::string& table) {
  std::vector<std::string> shapes;
  for (const auto& [object, definition] : schema.objects()) {
    if (KindOf(object) == Kind::kColumn && object.compare(7, table.size() + 1, table + ".") == 0 &&
        object.find('.', 7 + table.size() + 1) == std::string::npos)
      shapes.push_back(definition);
  }
  std::sort(shapes.begin(), shapes.end());
  return shapes;
}

}  // namespace

Result<Rename> ParseRename(const std::string& text) {
  const std::string usage = "--rename '" + text +
                            "': write table:OLD=NEW or column:TABLE.OLD=NEW (TABLE as the "
                            "desired schema names it)";
  const size_t colon = text.find(':'), equals = text.find('=');
  if (colon == std::string::npos || equals == std::string::npos || equals < colon) {
    return Status::InvalidArgument(usage);
  }
  Rename rename;
  const std::string kind = text.substr(0, colon);
  std::string old_name = text.substr(colon + 1, equals - colon - 1);
  rename.to = text.substr(equals + 1);
  if (kind == "column") {
    const size_t dot = old_name.rfind('.');
    if (dot == std::string::npos) return Status::InvalidArgument(usage);
    rename.column = true;
    rename.table = old_name.substr(0, dot);
    old_name = old_name.substr(dot + 1);
  } else if (kind != "table") {
    return Status::InvalidArgument(usage);
  }
  rename.from = old_name;
  if (rename.from.empty() || rename.to.empty() || (rename.column && rename.table.empty())) {
    return Status::InvalidArgument(usage);
  }
  return rename;
}

std::vector<Rename> Inverted(const std::vector<Rename>& renames) {
  std::vector<Rename> inverted;
  for (auto it = renames.rbegin(); it != renames.rend(); ++it) {
    Rename back = *it;
    std::swap(back.from, back.to);
    inverted.push_back(back);
  }
  return inverted;
}

// Table renames run first, so a column rename names its table as the desired schema does; the
// inverse runs column renames (on the new name) before taking the table's name back. Checked
// in that order, on the schema as the earlier renames leave it.
Status CheckRenames(const std::vector<Rename>& renames, const NormalizedSchema& from,
                    const NormalizedSchema& to) {
  NormalizedSchema current = from;
  for (const auto& rename : renames) {
    const std::string what = rename.column ? "column " + rename.table + "." : "table ";
    const std::string side_old = what + rename.from, side_new = what + rename.to;
    if (current.source(side_old) == nullptr) {
      return Status::InvalidArgument("--rename: there is no " + side_old +
                                     " before the rename (the scripts' head)");
    }
    if (to.source(side_new) == nullptr) {
      return Status::InvalidArgument("--rename: there is no " + side_new +
                                     " in the desired schema");
    }
    current = Renamed(current, rename);
  }
  return Status::Ok();
}

GeneratedStatements GenerateMigration(const NormalizedSchema& from, const NormalizedSchema& to,
                                      std::string_view dialect, const std::vector<Rename>& renames,
                                      bool online) {
  NormalizedSchema current = from;
  std::vector<std::string> renaming;
  for (const auto& rename : renames) {
    const std::string what = rename.column ? "column " + rename.table + "." : "table ";
    if (current.source(what + rename.from) == nullptr) {
      continue;  // not this direction's (CheckRenames said so for the upgrade)
    }
    renaming.push_back(RenameStatement(rename, current));
    current = Renamed(current, rename);
  }
  GeneratedStatements generated = dialect == kDialectSqlite
                                      ? SqliteGenerator(current, to).Generate()
                                      : PostgresGenerator(current, to, online).Generate();
  generated.statements.insert(generated.statements.begin(), renaming.begin(), renaming.end());
  return generated;
}

std::vector<std::string> LikelyRenames(const NormalizedSchema& from, const NormalizedSchema& to) {
  std::vector<std::string> hints;
  const std::vector<SchemaDifference> differences = DiffSchemas(from, to);
  for (const auto& dropped : differences) {
    if (dropped.change != '-') continue;
    for (const auto& added : differences) {
      if (added.change != '+' || KindOf(added.object) != KindOf(dropped.object)) continue;
      if (KindOf(dropped.object) == Kind::kTable) {
        const std::string old_name = TableKeyName(dropped.object);
        const std::string new_name = TableKeyName(added.object);
        if (ColumnShapes(from, old_name) == ColumnShapes(to, new_name)) {
          hints.push_back(dropped.object + " and " + added.object +
                          " have the same columns: if it is a rename, run again with --rename "
                          "table:" +
                          old_name + "=" + new_name + " (as generated, the rows of " + old_name +
                          " are lost)");
        }
      } else if (KindOf(dropped.object) == Kind::kColumn && dropped.expected == added.actual) {
        const std::string table = dropped.object.substr(7, dropped.object.rfind('.') - 7);
        if (added.object.substr(7, added.object.rfind('.') - 7) != table) continue;
        if (to.objects().count("table " + table) == 0 ||
            from.objects().count("table " + table) == 0)
          continue;
        hints.push_back(dropped.object + " and " + added.object +
                        " have the same definition: if it is a rename, run again with --rename "
                        "column:" +
                        table + "." + ColumnKeyName(dropped.object) + "=" +
                        ColumnKeyName(added.object) + " (as generated, its values are lost)");
      }
    }
  }
  return hints;
}

}  // namespace migrationd
