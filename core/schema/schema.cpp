#include "core/schema/schema.h"

#include <algorithm>
#include <cctype>

#include "core/base/sha256.h"

namespace migrationd {

std::string SchemaDifference::Describe() const {
  switch (change) {
    case '+':
      return "+ " + object + (actual.empty() ? "" : " " + actual);
    case '-':
      return "- " + object + (expected.empty() ? "" : " " + expected);
    default:
      return "~ " + object + ": " + expected + " -> " + actual;
  }
}

NormalizedSchema::Entries& NormalizedSchema::Writable() {
  if (!entries_) {
    entries_ = std::make_shared<Entries>();
  } else if (entries_.use_count() > 1) {
    entries_ = std::make_shared<Entries>(*entries_);
  }
  return *entries_;  // held by this object alone now
}

void NormalizedSchema::Add(const std::string& object, const std::string& definition) {
  Writable().objects[object] = definition;
}

void NormalizedSchema::Add(const std::string& object, const std::string& definition,
                           ObjectSource source) {
  Entries& entries = Writable();
  entries.objects[object] = definition;
  entries.sources[object] = std::move(source);
}

void NormalizedSchema::Remove(const std::string& object) {
  if (!entries_ || !entries_->objects.count(object)) return;
  Entries& entries = Writable();
  entries.objects.erase(object);
  entries.sources.erase(object);
}

const std::map<std::string, std::string>& NormalizedSchema::objects() const {
  static const std::map<std::string, std::string> kNone;
  return entries_ ? entries_->objects : kNone;
}

const ObjectSource* NormalizedSchema::source(const std::string& object) const {
  if (!entries_) return nullptr;
  auto found = entries_->sources.find(object);
  return found == entries_->sources.end() ? nullptr : &found->second;
}

namespace {

// Table key name -> its columns' key names in their order (columns with an ordinal only).
std::map<std::string, std::vector<std::string>> ColumnsInOrder(const NormalizedSchema& schema) {
  std::map<std::string, std::vector<std::pair<int, std::string>>> numbered;
  for (const auto& [object, definition] : schema.objects()) {
    const ObjectSource* source = schema.source(object);
    if (object.rfind("column ", 0) != 0 || source == nullptr) continue;
    const size_t dot = object.rfind('.');
    numbered[object.substr(7, dot - 7)].emplace_back(source->ordinal, object.substr(dot + 1));
  }
  std::map<std::string, std::vector<std::string>> ordered;
  for (auto& [table, columns] : numbered) {
    std::sort(columns.begin(), columns.end());
    for (const auto& column : columns) ordered[table].push_back(column.second);
  }
  return ordered;
}

std::string ColumnList(const std::vector<std::string>& columns) {
  std::string list;
  for (const auto& column : columns) list += (list.empty() ? "" : ", ") + column;
  return "(" + list + ")";
}

}  // namespace

std::vector<SchemaDifference> DiffColumnOrder(const NormalizedSchema& expected,
                                              const NormalizedSchema& actual) {
  const auto want = ColumnsInOrder(expected), have = ColumnsInOrder(actual);
  std::vector<SchemaDifference> differences;
  for (const auto& [table, columns] : want) {
    auto found = have.find(table);
    if (found == have.end()) continue;
    // Only the columns both have: an added column at the end is not a change of order.
    auto common = [](const std::vector<std::string>& these, const std::vector<std::string>& in) {
      std::vector<std::string> kept;
      for (const auto& column : these) {
        if (std::find(in.begin(), in.end(), column) != in.end()) kept.push_back(column);
      }
      return kept;
    };
    const auto before = common(columns, found->second), after = common(found->second, columns);
    if (before != after) {
      differences.push_back({'~', "column order " + table, ColumnList(before), ColumnList(after)});
    }
  }
  return differences;
}

std::string QuoteIdentifier(const std::string& name) {
  // PostgreSQL's reserved words (and SQLite's that are not among them), where a bare name would
  // not parse as one.
  static const char* const kReserved[] = {"add",
                                          "all",
                                          "alter",
                                          "analyse",
                                          "analyze",
                                          "and",
                                          "any",
                                          "array",
                                          "as",
                                          "asc",
                                          "asymmetric",
                                          "both",
                                          "by",
                                          "case",
                                          "cast",
                                          "check",
                                          "collate",
                                          "column",
                                          "constraint",
                                          "create",
                                          "current_date",
                                          "current_time",
                                          "current_timestamp",
                                          "current_user",
                                          "default",
                                          "deferrable",
                                          "delete",
                                          "desc",
                                          "distinct",
                                          "do",
                                          "drop",
                                          "else",
                                          "end",
                                          "except",
                                          "false",
                                          "fetch",
                                          "for",
                                          "foreign",
                                          "from",
                                          "grant",
                                          "group",
                                          "having",
                                          "in",
                                          "index",
                                          "initially",
                                          "insert",
                                          "intersect",
                                          "into",
                                          "key",
                                          "lateral",
                                          "leading",
                                          "limit",
                                          "localtime",
                                          "localtimestamp",
                                          "not",
                                          "null",
                                          "offset",
                                          "on",
                                          "only",
                                          "or",
                                          "order",
                                          "placing",
                                          "primary",
                                          "references",
                                          "returning",
                                          "select",
                                          "session_user",
                                          "set",
                                          "some",
                                          "symmetric",
                                          "table",
                                          "then",
                                          "to",
                                          "trailing",
                                          "transaction",
                                          "true",
                                          "union",
                                          "unique",
                                          "update",
                                          "user",
                                          "using",
                                          "values",
                                          "variadic",
                                          "view",
                                          "when",
                                          "where",
                                          "window",
                                          "with"};
  bool plain = !name.empty() && std::isdigit(static_cast<unsigned char>(name[0])) == 0;
  for (char c : name) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  for (const char* word : kReserved) plain = plain && name != word;
  if (plain) return name;
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string NormalizedSchema::Text() const {
  std::string text;
  for (const auto& [object, definition] : objects()) {
    text += object + "\t" + definition + "\n";
  }
  return text;
}

std::string NormalizedSchema::Fingerprint() const {
  Sha256 hasher;
  hasher.Update(Text());
  return "sha256:" + hasher.HexDigest();
}

std::vector<SchemaDifference> DiffSchemas(const NormalizedSchema& expected,
                                          const NormalizedSchema& actual) {
  std::vector<SchemaDifference> differences;
  auto want = expected.objects().begin();
  auto have = actual.objects().begin();
  const auto want_end = expected.objects().end();
  const auto have_end = actual.objects().end();
  // Both maps are sorted by object: one merge pass.
  while (want != want_end || have != have_end) {
    if (have == have_end || (want != want_end && want->first < have->first)) {
      differences.push_back({'-', want->first, want->second, ""});
      ++want;
    } else if (want == want_end || have->first < want->first) {
      differences.push_back({'+', have->first, "", have->second});
      ++have;
    } else {
      if (want->second != have->second) {
        differences.push_back({'~', want->first, want->second, have->second});
      }
      ++want;
      ++have;
    }
  }
  return differences;
}

std::string NormalizeSqlText(const std::string& text) {
  std::string out;
  char quote = 0;
  bool pending_space = false;
  for (char c : text) {
    if (quote != 0) {
      out += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out += ' ';
      pending_space = false;
    }
    if (c == '\'' || c == '"' || c == '`') quote = c;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool IsBookkeepingTable(const std::string& name) {
  return name.rfind("migrationd_", 0) == 0 || name == "alembic_version";
}

}  // namespace migrationd
