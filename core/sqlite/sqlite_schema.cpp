// SqliteBackend::ReadSchema: the normalized schema from sqlite_master and the pragma table
// functions (table_info, foreign_key_list, index_list, index_xinfo). SQLite keeps CHECK
// constraints only in the CREATE TABLE text, so they are cut out of it with a small scanner
// that respects quotes and nested parentheses.
#include <algorithm>
#include <cctype>
#include <map>

#include "core/schema/schema.h"
#include "core/sqlite/sqlite_backend.h"

namespace migrationd {
namespace {

std::string TextOf(const SqlValue& value) { return value.value_or(""); }

std::string JoinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return "(" + joined + ")";
}

// Position of `keyword` (lower case, a whole word) in `sql` at or after `from`, outside quotes
// and comments; npos if none.
size_t FindKeyword(const std::string& sql, const std::string& keyword, size_t from = 0) {
  char quote = 0;
  for (size_t i = from; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      quote = c == '[' ? ']' : c;
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      i = sql.find('\n', i);
      if (i == std::string::npos) return std::string::npos;
      continue;
    }
    const bool starts_word =
        i == 0 || (std::isalnum(static_cast<unsigned char>(sql[i - 1])) == 0 && sql[i - 1] != '_');
    if (!starts_word || i + keyword.size() > sql.size()) continue;
    bool matches = true;
    for (size_t k = 0; k < keyword.size() && matches; ++k) {
      matches = std::tolower(static_cast<unsigned char>(sql[i + k])) == keyword[k];
    }
    const size_t end = i + keyword.size();
    if (matches && (end == sql.size() ||
                    (std::isalnum(static_cast<unsigned char>(sql[end])) == 0 && sql[end] != '_'))) {
      return i;
    }
  }
  return std::string::npos;
}

// The text inside the parentheses that open at or after `from` (balanced, quotes respected).
std::string Parenthesized(const std::string& sql, size_t from, size_t& end) {
  const size_t open = sql.find('(', from);
  if (open == std::string::npos) {
    end = std::string::npos;
    return "";
  }
  int depth = 0;
  char quote = 0;
  for (size_t i = open; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"' || c == '`') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && --depth == 0) {
      end = i + 1;
      return sql.substr(open + 1, i - open - 1);
    }
  }
  end = std::string::npos;
  return "";
}

// Every CHECK (...) expression in a CREATE TABLE statement.
std::vector<std::string> CheckExpressions(const std::string& sql) {
  std::vector<std::string> checks;
  size_t at = FindKeyword(sql, "check");
  while (at != std::string::npos) {
    size_t end = 0;
    std::string expression = Parenthesized(sql, at, end);
    if (end == std::string::npos) break;
    checks.push_back(NormalizeSqlText(expression));
    at = FindKeyword(sql, "check", end);
  }
  return checks;
}

// The definition after `CREATE VIEW name AS` / the WHERE clause of a partial index.
std::string After(const std::string& sql, const std::string& keyword) {
  const size_t at = FindKeyword(sql, keyword);
  return at == std::string::npos ? "" : NormalizeSqlText(sql.substr(at + keyword.size()));
}

// How many pragma answers a connection keeps (a few per table and index).
constexpr size_t kMaxPragmaRows = 50'000;

}  // namespace

// A pragma's answer (table_info, foreign_key_list, index_list, index_xinfo) is a function of the
// CREATE statements SQLite parses its schema from: the same text, the same answer. Kept by that
// text, a read queries only the tables and indexes whose statement changed: verify reads the
// schema ~1,300 times on the realistic corpus, and the pragmas were most of its time (SQLite
// verify at 4.3x an upgrade plus downgrade).
Result<std::vector<SqlRow>> SqliteBackend::PragmaRows(const std::string& statement,
                                                      const std::string& sql,
                                                      const std::vector<SqlValue>& params) {
  std::string key = statement;
  key += '\0';
  key += sql;
  for (const auto& param : params) {
    key += '\0';
    key += param.value_or("");
  }
  if (auto found = pragma_rows_.find(key); found != pragma_rows_.end()) return found->second;
  auto rows = Query(sql, params);
  if (!rows.ok()) return rows;
  if (pragma_rows_.size() >= kMaxPragmaRows) pragma_rows_.clear();
  pragma_rows_.emplace(std::move(key), *rows);
  return rows;
}

Result<NormalizedSchema> SqliteBackend::ReadSchema() {
  NormalizedSchema schema;
  auto objects = Query(
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
      "ORDER BY name",
      {});
  if (!objects.ok()) return objects.status().WithContext("cannot read sqlite_master");
  // Index and foreign-key targets need the tables' primary keys first.
  std::map<std::string, std::vector<std::string>> primary_keys;
  std::map<std::string, std::string> table_statements;  // what an index's answers depend on too
  for (const auto& row : *objects) {
    if (TextOf(row[0]) != "table" || IsBookkeepingTable(TextOf(row[1]))) continue;
    const std::string table = TextOf(row[1]);
    const std::string sql = TextOf(row[3]);
    table_statements[table] = sql;
    schema.Add("table " + table,
               FindKeyword(sql, "without") != std::string::npos &&
                       FindKeyword(sql, "rowid") != std::string::npos
                   ? "without rowid"
                   : "",
               ObjectSource::Of(QuoteIdentifier(table), QuoteIdentifier(table), sql));
    auto columns = PragmaRows(
        sql,
        "SELECT name, type, \"notnull\", dflt_value, pk, cid FROM pragma_table_info($1) ORDER BY "
        "pk, cid",
        {table});
    if (!columns.ok()) return columns.status();
    std::vector<std::string> key;
    for (const auto& column : *columns) {
      std::string definition = NormalizeSqlText(TextOf(column[1]));
      if (TextOf(column[2]) == "1") definition += " not null";
      if (column[3]) definition += " default " + NormalizeSqlText(*column[3]);
      ObjectSource source =
          ObjectSource::Of(QuoteIdentifier(table), QuoteIdentifier(TextOf(column[0])));
      source.type = TextOf(column[1]);
      source.not_null = TextOf(column[2]) == "1";
      source.default_sql = TextOf(column[3]);
      source.ordinal = std::stoi(TextOf(column[5]));
      source.sql = source.name + (source.type.empty() ? "" : " " + source.type) +
                   (source.not_null ? " NOT NULL" : "") +
                   (source.default_sql.empty() ? "" : " DEFAULT " + source.default_sql);
      schema.Add("column " + table + "." + TextOf(column[0]), definition, std::move(source));
      if (TextOf(column[4]) != "0") key.push_back(TextOf(column[0]));
    }
    const ObjectSource of_table = ObjectSource::Of(QuoteIdentifier(table), "");
    if (!key.empty()) schema.Add("primary key " + table, JoinNames(key), of_table);
    primary_keys[table] = key;
    for (const auto& check : CheckExpressions(sql)) {
      schema.Add("check " + table + ": " + check, "", of_table);
    }
  }
  for (const auto& row : *objects) {
    const std::string type = TextOf(row[0]), name = TextOf(row[1]), table = TextOf(row[2]);
    const std::string sql = TextOf(row[3]);
    if (IsBookkeepingTable(table) || IsBookkeepingTable(name)) continue;
    if (type == "table") {
      auto keys = PragmaRows(sql,
                             "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM "
                             "pragma_foreign_key_list($1) ORDER BY id, seq",
                             {table});
      if (!keys.ok()) return keys.status();
      std::map<std::string, std::vector<std::vector<std::string>>> by_id;
      for (const auto& key : *keys)
        by_id[TextOf(key[0])].push_back(
            {key[1].value_or(""), TextOf(key[2]), TextOf(key[3]), TextOf(key[4]), TextOf(key[5])});
      for (const auto& [id, parts] : by_id) {
        std::vector<std::string> from, to;
        for (const auto& part : parts) {
          from.push_back(part[1]);
          if (!part[2].empty()) to.push_back(part[2]);
        }
        const std::string parent = parts.front()[0];
        // `REFERENCES users` means the parent's primary key: the same as naming it.
        if (to.empty()) to = primary_keys[parent];
        std::string definition = "-> " + parent + JoinNames(to);
        if (parts.front()[3] != "NO ACTION")
          definition += " on update " + NormalizeSqlText(parts.front()[3]);
        if (parts.front()[4] != "NO ACTION")
          definition += " on delete " + NormalizeSqlText(parts.front()[4]);
        schema.Add("foreign key " + table + JoinNames(from), definition,
                   ObjectSource::Of(QuoteIdentifier(table), ""));
      }
      auto indexes =
          PragmaRows(sql, "SELECT name, \"unique\", origin FROM pragma_index_list($1)", {table});
      if (!indexes.ok()) return indexes.status();
      for (const auto& index : *indexes) {
        if (TextOf(index[2]) != "u") continue;  // pk: the primary key; c: a named index below
        auto columns =
            PragmaRows(sql, "SELECT name FROM pragma_index_xinfo($1) WHERE key = 1 ORDER BY seqno",
                       {index[0]});
        if (!columns.ok()) return columns.status();
        std::vector<std::string> names;
        for (const auto& column : *columns) names.push_back(TextOf(column[0]));
        schema.Add("unique " + table + JoinNames(names), "",
                   ObjectSource::Of(QuoteIdentifier(table), ""));
      }
    } else if (type == "index" && !sql.empty()) {
      // The index's columns are the table's: its statement too.
      const std::string statements = sql + '\n' + table_statements[table];
      auto columns = PragmaRows(
          statements,
          "SELECT name, \"desc\", coll FROM pragma_index_xinfo($1) WHERE key = 1 ORDER BY seqno",
          {name});
      if (!columns.ok()) return columns.status();
      std::vector<std::string> names;
      for (const auto& column : *columns) {
        std::string part = column[0] ? *column[0] : "<expression>";
        if (TextOf(column[1]) == "1") part += " desc";
        if (TextOf(column[2]) != "BINARY")
          part += " collate " + NormalizeSqlText(TextOf(column[2]));
        names.push_back(part);
      }
      auto listed =
          PragmaRows(statements, "SELECT \"unique\" FROM pragma_index_list($1) WHERE name = $2",
                     {table, name});
      if (!listed.ok()) return listed.status();
      std::string definition = "on " + table + " " + JoinNames(names);
      if (!listed->empty() && TextOf(listed->front()[0]) == "1")
        definition = "unique " + definition;
      if (FindKeyword(sql, "where") != std::string::npos)
        definition += " where " + After(sql, "where");
      schema.Add("index " + name, definition,
                 ObjectSource::Of(QuoteIdentifier(table), QuoteIdentifier(name), sql));
    } else if (type == "view") {
      schema.Add("view " + name, After(sql, "as"),
                 ObjectSource::Of("", QuoteIdentifier(name), sql));
    } else if (type == "trigger") {
      // From the timing on: `CREATE TRIGGER IF NOT EXISTS t` and `CREATE TRIGGER t` alike.
      std::string body = NormalizeSqlText(sql);
      for (const char* timing : {" before ", " after ", " instead of "}) {
        if (const size_t at = body.find(timing); at != std::string::npos) {
          body = body.substr(at + 1);
          break;
        }
      }
      schema.Add("trigger " + name, body,
                 ObjectSource::Of(QuoteIdentifier(table), QuoteIdentifier(name), sql));
    }
  }
  return schema;
}

}  // namespace migrationd

namespace migrationd {

Result<DatabaseFacts> SqliteBackend::ReadLintFacts(int64_t count_rows_up_to,
                                                   const std::set<std::string>& count_tables) {
  DatabaseFacts facts;
  // Tables first, then what refers to them, each group in the order it was created.
  auto objects = Query(
      "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT "
      "NULL ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 "
      "END, rowid",
      {});
  if (!objects.ok()) return objects.status().WithContext("cannot read sqlite_master");
  for (const auto& row : *objects) {
    const std::string type = TextOf(row[0]);
    const std::string name = TextOf(row[1]);
    if (type == "table" && IsBookkeepingTable(name)) continue;
    facts.schema_statements.push_back(TextOf(row[2]));
    if (type != "table") continue;
    TableFacts table;
    table.name = name;
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!count_tables.contains(lower)) {
      facts.tables.push_back(std::move(table));  // not named by the plan: not read
      continue;
    }
    // Counted, but never past the bound: a lint must not read a whole large table.
    auto counted = Query("SELECT count(*) FROM (SELECT 1 FROM " + QuoteIdentifier(name) +
                             " LIMIT " + std::to_string(count_rows_up_to + 1) + ")",
                         {});
    if (counted.ok() && !counted->empty()) {
      table.rows = std::stoll(TextOf(counted->front()[0]));
      if (table.rows > count_rows_up_to) {
        table.rows = count_rows_up_to;
        table.rows_at_least = true;
      }
    }
    facts.tables.push_back(std::move(table));
  }
  return facts;
}

}  // namespace migrationd
