// The PostgreSQL rules, on PostgreSQL's own parse tree of each statement.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "core/lint/lint_internal.h"
#include "core/scripts/postgres_parse_tree.h"

namespace migrationd::lint {

namespace {

// A type as the grammar gives it: its last name ("int4", "varchar", "text", "timestamptz"),
// modifiers (varchar(20): {20}; numeric(10,2): {10, 2}) and array-ness.
struct TypeInfo {
  std::string name;
  std::vector<int64_t> mods;
  bool array = false;
  std::string Describe() const {
    std::string text = name;
    for (size_t i = 0; i < mods.size(); ++i) {
      text += (i == 0 ? "(" : ",") + std::to_string(mods[i]);
    }
    if (!mods.empty()) text += ")";
    return array ? text + "[]" : text;
  }
};

TypeInfo TypeOf(const ParseNode& type_name) {
  TypeInfo type;
  auto names = type_name.Names("names");
  if (!names.empty()) type.name = names.back();
  for (const ParseNode& mod : type_name.List("typmods")) {
    if (mod.Is("A_Const") && mod["ival"]) type.mods.push_back(mod["ival"].Int("ival"));
  }
  type.array = !type_name.List("array_bounds").empty();
  return type;
}

// A type as the catalog prints it ("character varying(20)"), read by the same grammar.
TypeInfo TypeFromCatalog(const std::string& printed) {
  TypeInfo type;
  auto parsed = ParsePostgres("SELECT NULL::" + printed);
  if (parsed.ok() && !parsed->statements().empty()) {
    for (const ParseNode& target : parsed->statements().front().stmt.List("target_list")) {
      ParseNode cast = target["val"];
      if (cast.Is("TypeCast")) type = TypeOf(cast["type_name"]);
    }
  }
  return type;
}

// Whether the server changes the column's type without rewriting the table: it only checks
// that the stored values fit, or not even that (ATColumnChangeRequiresRewrite: a binary-coercible
// cast with no new length check that could fail).
bool KeepsData(const TypeInfo& from, const TypeInfo& to) {
  if (from.array != to.array) return false;
  if (from.name == to.name) {
    if (from.mods == to.mods) return true;
    if (from.name == "varchar" || from.name == "varbit") {
      return to.mods.empty() || (!from.mods.empty() && to.mods[0] >= from.mods[0]);
    }
    if (from.name == "numeric") {
      return to.mods.empty() || (from.mods.size() == 2 && to.mods.size() == 2 &&
                                 to.mods[1] == from.mods[1] && to.mods[0] >= from.mods[0]);
    }
    return false;
  }
  if (from.name == "varchar" && to.name == "text") return true;
  if (from.name == "text" && to.name == "varchar" && to.mods.empty()) return true;
  if (from.name == "cidr" && to.name == "inet") return true;
  return false;
}

std::string TableName(const ParseNode& range_var) {
  const std::string schema = range_var.Str("schemaname");
  const std::string name = range_var.Str("relname");
  return schema.empty() || schema == "public" ? name : schema + "." + name;
}

std::string QualifiedName(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ".") + name;
  return text;
}

bool IsIntegerType(const std::string& name) {
  return name == "int4" || name == "int2" || name == "serial" || name == "serial4" ||
         name == "smallserial" || name == "serial2" || name == "int" || name == "integer" ||
         name == "smallint";
}

bool IsSerial(const std::string& name) {
  return name == "serial" || name == "serial4" || name == "bigserial" || name == "serial8" ||
         name == "smallserial" || name == "serial2";
}

// Functions whose value is the same for every row of one statement (so a DEFAULT made of them
// is evaluated once and PostgreSQL 11+ stores it without a rewrite). Any other function may be
// volatile: the linter says so and names it.
bool IsKnownNonVolatile(const std::string& name) {
  static const std::set<std::string> kNames = {"now",
                                               "transaction_timestamp",
                                               "statement_timestamp",
                                               "current_setting",
                                               "lower",
                                               "upper",
                                               "length",
                                               "char_length",
                                               "concat",
                                               "concat_ws",
                                               "md5",
                                               "abs",
                                               "round",
                                               "floor",
                                               "ceil",
                                               "date_trunc",
                                               "to_char",
                                               "to_timestamp",
                                               "to_date",
                                               "make_interval",
                                               "jsonb_build_object",
                                               "json_build_object",
                                               "jsonb_build_array",
                                               "json_build_array",
                                               "array_fill",
                                               "coalesce",
                                               "nullif",
                                               "replace",
                                               "substr",
                                               "substring",
                                               "trim",
                                               "btrim",
                                               "left",
                                               "right",
                                               "format",
                                               "power"};
  return kNames.contains(name);
}

bool IsKnownVolatile(const std::string& name) {
  static const std::set<std::string> kNames = {
      "random",           "gen_random_uuid",    "uuid_generate_v1", "uuid_generate_v1mc",
      "uuid_generate_v4", "clock_timestamp",    "timeofday",        "nextval",
      "txid_current",     "pg_current_xact_id", "setseed"};
  return kNames.contains(name);
}

// The first function in `expression` that may be volatile ("" when none), and whether it is
// known to be.
std::pair<std::string, bool> VolatileCall(const ParseNode& expression) {
  std::pair<std::string, bool> found;
  expression.Visit([&](const ParseNode& node) {
    if (!found.first.empty() || !node.Is("FuncCall")) return;
    auto names = node.Names("funcname");
    if (names.empty()) return;
    const std::string& name = names.back();
    if (IsKnownVolatile(name)) {
      found = {name, true};
    } else if (!IsKnownNonVolatile(name)) {
      found = {name, false};
    }
  });
  return found;
}

bool HasOption(const std::vector<ParseNode>& options, std::string_view name) {
  return std::any_of(options.begin(), options.end(), [&](const ParseNode& option) {
    return option.Is("DefElem") && option.Str("defname") == name;
  });
}

// `col IS NOT NULL` as a CHECK's expression: the column, else "".
std::string NotNullCheckColumn(const ParseNode& expression) {
  if (!expression.Is("NullTest") || expression.Enum("nulltesttype") != "IS_NOT_NULL") return "";
  ParseNode column = expression["arg"];
  if (!column.Is("ColumnRef")) return "";
  auto names = column.Names("fields");
  return names.size() == 1 ? names.front() : "";
}

// The commands of ALTER TABLE that take less than ACCESS EXCLUSIVE (so that they are not
// counted as the kind of lock that stops the application).
bool TakesExclusiveLock(const std::string& subtype, const ParseNode& def) {
  if (subtype == "AT_ValidateConstraint" || subtype == "AT_SetStatistics" ||
      subtype == "AT_ClusterOn" || subtype == "AT_DropCluster" || subtype == "AT_SetOptions" ||
      subtype == "AT_ResetOptions" || subtype == "AT_ReplicaIdentity" ||
      subtype == "AT_EnableTrig" || subtype == "AT_DisableTrig") {
    return false;
  }
  if (subtype == "AT_AddConstraint" && def.Is("Constraint") && def.Bool("skip_validation")) {
    return false;  // NOT VALID: SHARE ROW EXCLUSIVE, and nothing is scanned
  }
  if (subtype == "AT_DetachPartition" && def.Bool("concurrent")) return false;
  return true;
}

// What one revision has done so far that a later statement's rules need.
struct RevisionSoFar {
  std::vector<std::string> locked_tables;  // existing tables locked against the application
  int first_lock_line = 0;
  int backfill_line = 0;  // an UPDATE/DELETE of every row, 0: none
  std::string backfill_table;
};

class PostgresChecker {
 public:
  PostgresChecker(const StatementSite& site, LintState& state, RevisionSoFar& revision,
                  bool learn_only)
      : site_(site), state_(state), revision_(revision), learn_only_(learn_only) {}

  void Check(const ParseNode& stmt) {
    const std::string_view kind = stmt.Kind();
    if (kind == "CreateStmt") return CreateTable(stmt);
    if (kind == "IndexStmt") return CreateIndex(stmt);
    if (kind == "DropStmt") return Drop(stmt);
    if (kind == "AlterTableStmt") return AlterTable(stmt);
    if (kind == "RenameStmt") return Rename(stmt);
    if (kind == "ReindexStmt") return Reindex(stmt);
    if (kind == "VacuumStmt") return Vacuum(stmt);
    if (kind == "ClusterStmt") return Cluster(stmt);
    if (kind == "CreateTrigStmt") return CreateTrigger(stmt);
    if (kind == "TruncateStmt") return Truncate(stmt);
    if (kind == "UpdateStmt" || kind == "DeleteStmt") return WholeTableWrite(stmt);
    if (kind == "CreateDomainStmt") return CreateDomain(stmt);
    if (kind == "AlterDomainStmt") return AlterDomain(stmt);
    if (kind == "AlterEnumStmt") return AlterEnum(stmt);
  }

 private:
  void Report(std::string_view rule, const std::string& table, std::string what) {
    if (!learn_only_) state_.Report(site_, rule, table, std::move(what));
  }
  void ReportAs(std::string_view rule, LintSeverity severity, const std::string& table,
                std::string what) {
    if (!learn_only_) state_.ReportAs(site_, rule, severity, table, std::move(what));
  }
  bool Existing(const std::string& table) const { return !state_.IsNew(table); }

  // Hygiene of a column's type, and its type remembered for later ALTER COLUMN TYPE.
  void Column(const std::string& table, const ParseNode& column, bool primary_key) {
    const std::string name = column.Str("colname");
    const TypeInfo type = TypeOf(column["type_name"]);
    state_.SetColumnType(table, name, type.Describe());
    const std::string where = table + "." + name;
    if (type.name == "timestamp") {
      Report("timestamp-without-time-zone", table, where + " is timestamp without time zone");
    }
    if (type.name == "bpchar" && !type.mods.empty()) {
      Report("char-type", table, where + " is char(" + std::to_string(type.mods[0]) + ")");
    }
    if (type.name == "varchar" && !type.mods.empty()) {
      Report("varchar-length", table, where + " is varchar(" + std::to_string(type.mods[0]) + ")");
    }
    bool key = primary_key;
    for (const ParseNode& constraint : column.List("constraints")) {
      if (constraint.Enum("contype") == "CONSTR_PRIMARY") key = true;
    }
    if (key && IsIntegerType(type.name) && !type.array) {
      Report("int-key", table, where + " is a primary key of type " + type.name);
    }
  }

  void CreateTable(const ParseNode& stmt) {
    const std::string table = TableName(stmt["relation"]);
    state_.Created(table);
    std::set<std::string> key_columns;
    for (const ParseNode& element : stmt.List("table_elts")) {
      if (element.Is("Constraint") && element.Enum("contype") == "CONSTR_PRIMARY") {
        for (const auto& key : element.Names("keys")) key_columns.insert(key);
      }
    }
    for (const ParseNode& element : stmt.List("table_elts")) {
      if (element.Is("ColumnDef")) {
        Column(table, element, key_columns.contains(element.Str("colname")));
      }
    }
  }

  void CreateIndex(const ParseNode& stmt) {
    const std::string table = TableName(stmt["relation"]);
    if (!stmt.Str("idxname").empty()) {
      state_.index_tables[stmt.Str("idxname")] = table;
    }
    if (stmt.Bool("concurrent")) {
      if (site_.transactional) {
        Report("concurrently-in-transaction", table,
               "CREATE INDEX CONCURRENTLY in a transactional revision: the server refuses it "
               "('cannot run inside a transaction block')");
      }
      return;
    }
    if (Existing(table)) {
      Report("index-not-concurrent", table,
             "CREATE INDEX " + stmt.Str("idxname") + " on " + table +
                 " without CONCURRENTLY: SHARE lock, writes to " + table +
                 " wait until the index is built");
      LockedAgainstWrites(table);
    }
  }

  void Drop(const ParseNode& stmt) {
    const std::string type = stmt.Enum("remove_type");
    for (const ParseNode& object : stmt.List("objects")) {
      const std::string name =
          QualifiedName(object.Is("List") ? object.Names("items") : std::vector<std::string>{});
      if (name.empty()) continue;
      if (type == "OBJECT_TABLE") {
        if (Existing(name)) {
          Report("drop-table", name, "DROP TABLE " + name + Declared());
          LockedAgainstWrites(name);
        }
        state_.Dropped(name);
      } else if (type == "OBJECT_INDEX") {
        const auto found = state_.index_tables.find(name);
        const std::string table = found == state_.index_tables.end() ? "" : found->second;
        if (stmt.Bool("concurrent")) {
          if (site_.transactional) {
            Report("concurrently-in-transaction", table,
                   "DROP INDEX CONCURRENTLY in a transactional revision: the server refuses it");
          }
        } else if (table.empty() || Existing(table)) {
          Report("drop-index-not-concurrent", table,
                 "DROP INDEX " + name + " without CONCURRENTLY: ACCESS EXCLUSIVE on " +
                     (table.empty() ? "its table" : table));
        }
      }
    }
  }

  // A `-- loses-data:` header that names the upgrade: the loss is declared.
  std::string Declared() const {
    return site_.script->loses_data.find("upgrade") != std::string::npos
               ? " (the script declares it: '-- loses-data: " + site_.script->loses_data + "')"
               : "";
  }

  void AlterTable(const ParseNode& stmt) {
    const std::string table = TableName(stmt["relation"]);
    const bool on_table = stmt.Enum("objtype") == "OBJECT_TABLE";
    for (const ParseNode& command : stmt.List("cmds")) {
      const std::string subtype = command.Enum("subtype");
      const ParseNode def = command["def"];
      if (on_table && Existing(table) && TakesExclusiveLock(subtype, def)) {
        LockedAgainstWrites(table);
      }
      if (subtype == "AT_AddColumn") {
        AddColumn(table, def);
      } else if (subtype == "AT_DropColumn") {
        if (Existing(table)) {
          Report("drop-column", table,
                 "DROP COLUMN " + table + "." + command.Str("name") + Declared());
        }
        state_.DropColumn(table, command.Str("name"));
      } else if (subtype == "AT_AlterColumnType") {
        AlterColumnType(table, command.Str("name"), def);
      } else if (subtype == "AT_SetNotNull") {
        const std::string column = command.Str("name");
        if (Existing(table) && !state_.HasNotNullCheck(table, column)) {
          Report("set-not-null", table,
                 "SET NOT NULL on " + table + "." + column +
                     " scans every row under ACCESS EXCLUSIVE (no validated CHECK (" + column +
                     " IS NOT NULL) is known)");
        }
      } else if (subtype == "AT_DropNotNull") {
        if (Existing(table)) {
          Report("drop-not-null", table, "DROP NOT NULL on " + table + "." + command.Str("name"));
        }
      } else if (subtype == "AT_AddConstraint") {
        AddConstraint(table, def);
      } else if (subtype == "AT_ValidateConstraint") {
        // A CHECK (col IS NOT NULL) NOT VALID of this revision or an earlier one.
        if (auto checked = state_.not_null_check_constraints.find(command.Str("name"));
            checked != state_.not_null_check_constraints.end()) {
          state_.NotNullChecked(checked->second.first, checked->second.second);
        }
      } else if (subtype == "AT_SetLogged" || subtype == "AT_SetUnLogged") {
        if (Existing(table)) {
          Report("set-logged", table,
                 std::string(subtype == "AT_SetLogged" ? "SET LOGGED" : "SET UNLOGGED") +
                     " rewrites " + table + " under ACCESS EXCLUSIVE");
        }
      } else if (subtype == "AT_DetachPartition") {
        if (def.Bool("concurrent")) {
          if (site_.transactional) {
            Report("concurrently-in-transaction", table,
                   "DETACH PARTITION CONCURRENTLY in a transactional revision: the server "
                   "refuses it");
          }
        } else if (Existing(table)) {
          Report("detach-partition-not-concurrent", table,
                 "DETACH PARTITION " + TableName(def["name"]) + " from " + table +
                     " without CONCURRENTLY: ACCESS EXCLUSIVE on " + table);
        }
      }
    }
  }

  void AddColumn(const std::string& table, const ParseNode& column) {
    Column(table, column, false);
    if (!Existing(table)) return;
    const std::string name = table + "." + column.Str("colname");
    const TypeInfo type = TypeOf(column["type_name"]);
    bool not_null = column.Bool("is_not_null");
    ParseNode default_value = column["raw_default"];
    std::string computed;  // why every row gets its own value
    bool unknown_function = false;
    for (const ParseNode& constraint : column.List("constraints")) {
      const std::string contype = constraint.Enum("contype");
      if (contype == "CONSTR_NOTNULL") not_null = true;
      if (contype == "CONSTR_DEFAULT") default_value = constraint["raw_expr"];
      if (contype == "CONSTR_IDENTITY") computed = "an identity column (a sequence value per row)";
      if (contype == "CONSTR_GENERATED") computed = "a stored generated column";
      if (contype == "CONSTR_PRIMARY" || contype == "CONSTR_UNIQUE") {
        Report("add-unique-without-index", table,
               "ADD COLUMN " + name + (contype == "CONSTR_PRIMARY" ? " PRIMARY KEY" : " UNIQUE") +
                   " builds its index under ACCESS EXCLUSIVE");
      }
    }
    if (IsSerial(type.name)) computed = type.name + " (nextval() per row)";
    if (computed.empty() && default_value) {
      auto [function, known] = VolatileCall(default_value);
      if (!function.empty()) {
        computed = "DEFAULT " + function + "()";
        unknown_function = !known;
      }
    }
    if (!computed.empty()) {
      const std::string what =
          "ADD COLUMN " + name + " with " + computed +
          (unknown_function ? ": if " + computed.substr(8) + " is volatile, every row is written"
                            : ": every row is written") +
          ", the whole table rewritten under ACCESS EXCLUSIVE";
      if (unknown_function) {
        ReportAs("add-column-volatile-default", LintSeverity::kWarning, table, what);
      } else {
        Report("add-column-volatile-default", table, what);
      }
    }
    const bool has_value = default_value || !computed.empty();
    if (not_null && !has_value) {
      Report("add-column-not-null-without-default", table,
             "ADD COLUMN " + name +
                 " NOT NULL without a DEFAULT fails on a table with rows, "
                 "and inserts that do not name it fail after it");
    }
  }

  void AlterColumnType(const std::string& table, const std::string& column, const ParseNode& def) {
    const TypeInfo to = TypeOf(def["type_name"]);
    const std::string known = state_.ColumnType(table, column);
    state_.SetColumnType(table, column, to.Describe());
    if (!Existing(table)) return;
    const std::string name = table + "." + column;
    if (def["raw_default"]) {
      Report("alter-column-type", table,
             "ALTER COLUMN " + name + " TYPE " + to.Describe() +
                 " USING ...: the table is rewritten and its indexes rebuilt under ACCESS "
                 "EXCLUSIVE");
      return;
    }
    if (!known.empty()) {
      const TypeInfo from = TypeFromCatalog(known);
      if (KeepsData(from, to)) return;
      Report("alter-column-type", table,
             "ALTER COLUMN " + name + " TYPE " + to.Describe() + " (from " + from.Describe() +
                 "): the table is rewritten and its indexes rebuilt under ACCESS EXCLUSIVE");
      return;
    }
    const bool may_keep = to.name == "text" || to.name == "varchar" || to.name == "numeric";
    ReportAs("alter-column-type", may_keep ? LintSeverity::kWarning : LintSeverity::kError, table,
             "ALTER COLUMN " + name + " TYPE " + to.Describe() +
                 " (the column's type before is not known here): " +
                 (may_keep ? "no rewrite only if it widens a varchar or numeric; otherwise " : "") +
                 "the table is rewritten and its indexes rebuilt under ACCESS EXCLUSIVE");
  }

  void AddConstraint(const std::string& table, const ParseNode& constraint) {
    if (!constraint.Is("Constraint")) return;
    const std::string contype = constraint.Enum("contype");
    const std::string name = constraint.Str("conname");
    if (contype == "CONSTR_CHECK" && constraint.Bool("skip_validation")) {
      const std::string column = NotNullCheckColumn(constraint["raw_expr"]);
      if (!column.empty() && !name.empty()) {
        state_.not_null_check_constraints[name] = {table, column};
      }
    }
    if (contype == "CONSTR_CHECK" && !constraint.Bool("skip_validation")) {
      const std::string column = NotNullCheckColumn(constraint["raw_expr"]);
      if (!column.empty()) state_.NotNullChecked(table, column);
    }
    if (!Existing(table)) return;
    if ((contype == "CONSTR_FOREIGN" || contype == "CONSTR_CHECK") &&
        !constraint.Bool("skip_validation")) {
      const std::string referenced =
          contype == "CONSTR_FOREIGN" ? TableName(constraint["pktable"]) : "";
      Report("constraint-not-valid", table,
             std::string(contype == "CONSTR_FOREIGN" ? "ADD FOREIGN KEY " : "ADD CHECK ") + name +
                 " on " + table + " without NOT VALID: every row is checked while " + table +
                 (referenced.empty() ? "" : " and " + referenced) + " are locked against writes");
    }
    if ((contype == "CONSTR_PRIMARY" || contype == "CONSTR_UNIQUE") &&
        constraint.Str("indexname").empty()) {
      Report("add-unique-without-index", table,
             std::string(contype == "CONSTR_PRIMARY" ? "ADD PRIMARY KEY" : "ADD UNIQUE") + " on " +
                 table + " builds its index under ACCESS EXCLUSIVE");
    }
  }

  void Rename(const ParseNode& stmt) {
    const std::string type = stmt.Enum("rename_type");
    const std::string table = TableName(stmt["relation"]);
    if (type == "OBJECT_TABLE") {
      if (Existing(table)) {
        Report("rename-table", table, "RENAME " + table + " TO " + stmt.Str("newname"));
        LockedAgainstWrites(table);
      }
      state_.Renamed(table, stmt.Str("newname"));
    } else if (type == "OBJECT_COLUMN" && stmt.Enum("relation_type") == "OBJECT_TABLE") {
      if (Existing(table)) {
        Report("rename-column", table,
               "RENAME COLUMN " + table + "." + stmt.Str("subname") + " TO " + stmt.Str("newname"));
        LockedAgainstWrites(table);
      }
      state_.RenameColumn(table, stmt.Str("subname"), stmt.Str("newname"));
    }
  }

  void Reindex(const ParseNode& stmt) {
    const std::string table = stmt["relation"] ? TableName(stmt["relation"]) : stmt.Str("name");
    if (HasOption(stmt.List("params"), "concurrently")) {
      if (site_.transactional) {
        Report("concurrently-in-transaction", table,
               "REINDEX CONCURRENTLY in a transactional revision: the server refuses it");
      }
      return;
    }
    if (table.empty() || Existing(table)) {
      Report("reindex-not-concurrent", table, "REINDEX " + table + " without CONCURRENTLY");
    }
  }

  void Vacuum(const ParseNode& stmt) {
    if (!stmt.Bool("is_vacuumcmd")) return;  // ANALYZE
    std::string tables;
    for (const ParseNode& relation : stmt.List("rels")) {
      tables += (tables.empty() ? "" : ", ") + TableName(relation["relation"]);
    }
    if (site_.transactional) {
      Report("concurrently-in-transaction", tables,
             "VACUUM in a transactional revision: the server refuses it ('cannot run inside a "
             "transaction block')");
    }
    if (HasOption(stmt.List("options"), "full")) {
      Report("vacuum-full", tables,
             "VACUUM FULL " + (tables.empty() ? std::string("of the whole database") : tables) +
                 " rewrites under ACCESS EXCLUSIVE");
    }
  }

  void Cluster(const ParseNode& stmt) {
    const std::string table = stmt["relation"] ? TableName(stmt["relation"]) : "";
    if (table.empty() || Existing(table)) {
      Report("cluster", table,
             "CLUSTER " + (table.empty() ? std::string("of every clustered table") : table) +
                 " rewrites under ACCESS EXCLUSIVE");
    }
  }

  void CreateTrigger(const ParseNode& stmt) {
    const std::string table = TableName(stmt["relation"]);
    if (Existing(table)) {
      Report("trigger-on-existing-table", table,
             "CREATE TRIGGER " + stmt.Str("trigname") + " on " + table);
    }
  }

  void Truncate(const ParseNode& stmt) {
    if (stmt.Enum("behavior") != "DROP_CASCADE") return;
    std::string tables;
    for (const ParseNode& relation : stmt.List("relations")) {
      tables += (tables.empty() ? "" : ", ") + TableName(relation);
    }
    Report("truncate-cascade", tables, "TRUNCATE " + tables + " CASCADE");
  }

  void WholeTableWrite(const ParseNode& stmt) {
    const std::string table = TableName(stmt["relation"]);
    if (stmt["where_clause"] || !Existing(table) || !site_.transactional) return;
    revision_.backfill_line = site_.statement->line;
    revision_.backfill_table = table;
    if (!revision_.locked_tables.empty()) {
      Report("backfill-with-ddl", table,
             std::string(stmt.Is("UpdateStmt") ? "UPDATE" : "DELETE") + " of every row of " +
                 table + " in the transaction that locked " + revision_.locked_tables.front() +
                 " at line " + std::to_string(revision_.first_lock_line) +
                 ": the lock is held until the whole table is written");
    }
  }

  void CreateDomain(const ParseNode& stmt) {
    for (const ParseNode& constraint : stmt.List("constraints")) {
      const std::string contype = constraint.Enum("contype");
      if (contype == "CONSTR_CHECK" || contype == "CONSTR_NOTNULL") {
        Report("domain-constraint", "",
               "CREATE DOMAIN " + QualifiedName(stmt.Names("domainname")) + " with a " +
                   (contype == "CONSTR_CHECK" ? "CHECK" : "NOT NULL"));
        return;
      }
    }
  }

  void AlterDomain(const ParseNode& stmt) {
    const std::string subtype = stmt.Str("subtype");
    const std::string domain = QualifiedName(stmt.Names("type_name"));
    if (subtype == "C" && !stmt["def"].Bool("skip_validation")) {
      ReportAs("domain-constraint", LintSeverity::kError, "",
               "ALTER DOMAIN " + domain +
                   " ADD CONSTRAINT without NOT VALID: every column of the type is scanned "
                   "under lock");
    } else if (subtype == "O") {
      ReportAs("domain-constraint", LintSeverity::kError, "",
               "ALTER DOMAIN " + domain + " SET NOT NULL: every column of the type is scanned");
    }
  }

  void AlterEnum(const ParseNode& stmt) {
    if (stmt.Str("new_val").empty() || !stmt.Str("old_val").empty()) return;  // RENAME VALUE
    if (stmt.Str("new_val_neighbor").empty()) {
      Report("enum-add-value-position", "",
             "ALTER TYPE " + QualifiedName(stmt.Names("type_name")) + " ADD VALUE '" +
                 stmt.Str("new_val") + "' without BEFORE or AFTER");
    }
  }

  // An existing table this revision locks against the application's writes: several in one
  // transaction, or a whole-table write after one, are findings.
  void LockedAgainstWrites(const std::string& table) {
    if (!site_.transactional) return;
    auto& locked = revision_.locked_tables;
    if (std::find(locked.begin(), locked.end(), table) != locked.end()) return;
    locked.push_back(table);
    if (locked.size() == 1) revision_.first_lock_line = site_.statement->line;
    if (locked.size() == 2) {
      Report("many-exclusive-locks", table,
             "this transactional revision locks " + locked[0] + " (line " +
                 std::to_string(revision_.first_lock_line) + ") and then " + table +
                 ": the first lock is held while the second waits");
    }
    if (revision_.backfill_line != 0 && locked.size() == 1) {
      Report("backfill-with-ddl", revision_.backfill_table,
             "the UPDATE/DELETE of every row of " + revision_.backfill_table + " at line " +
                 std::to_string(revision_.backfill_line) + " runs in the transaction that " +
                 "locks " + table + " here: the lock is held until the commit");
    }
  }

  const StatementSite& site_;
  LintState& state_;
  RevisionSoFar& revision_;
  bool learn_only_;
};

}  // namespace

void LintPostgresRevision(const Script& script, LintState& state, bool learn_only) {
  const bool transactional = script.transaction == TransactionMode::kPerMigration;
  RevisionSoFar revision;
  for (const SqlStatement& statement : script.Statements(Direction::kUpgrade, kDialectPostgresql)) {
    std::vector<Suppression> suppressions;
    if (!learn_only) {
      suppressions = SuppressionsOf(script, statement, kDialectPostgresql);
      state.CountStatement();
    }
    StatementSite site{&script, &statement, transactional, &suppressions};
    if (!learn_only) {
      // The parse tree holds identifiers already cut to 63 bytes: the scanner sees them whole.
      for (const std::string& name : PostgresIdentifiersLongerThan(statement.text, 63)) {
        state.Report(site, "identifier-too-long", "",
                     "the identifier '" + name.substr(0, 24) + "...' is " +
                         std::to_string(name.size()) +
                         " bytes; PostgreSQL keeps only the first 63 (silently)");
      }
    }
    auto parsed = ParsePostgres(statement.text);
    if (!parsed.ok()) {
      if (!learn_only) state.Report(site, "syntax-error", "", parsed.status().message());
    } else {
      for (const ParsedStatement& each : parsed->statements()) {
        PostgresChecker(site, state, revision, learn_only).Check(each.stmt);
      }
    }
    if (!learn_only) ReportSuppressionProblems(site, state);
  }
}

}  // namespace migrationd::lint
