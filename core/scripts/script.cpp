#include "core/scripts/script.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "core/base/sha256.h"
#include "core/base/utf8.h"
#include "core/scripts/sql_splitter.h"

namespace migrationd {
namespace {

std::string_view Trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end + 1 - begin);
}

std::vector<std::string> SplitParents(std::string_view value) {
  std::vector<std::string> parents;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t comma = value.find_first_of(", ", pos);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view item = Trim(value.substr(pos, comma - pos));
    if (!item.empty()) parents.emplace_back(item);
    pos = comma + 1;
  }
  return parents;
}

// Returns the section marker's direction and dialect if `body` (the text after "--") is one.
struct Marker {
  Direction direction;
  std::string dialect;
};
std::optional<Marker> ParseMarker(std::string_view body) {
  body = Trim(body);
  if (body.empty() || body[0] != '+') return std::nullopt;
  std::string_view rest = body.substr(1);
  size_t space = rest.find_first_of(" \t");
  std::string_view word = rest.substr(0, space);
  std::string_view dialect = space == std::string_view::npos ? "" : Trim(rest.substr(space));
  if (word == "upgrade") return Marker{Direction::kUpgrade, std::string(dialect)};
  if (word == "downgrade") return Marker{Direction::kDowngrade, std::string(dialect)};
  return Marker{Direction::kStamp, std::string(word)};  // kStamp flags an unknown marker word
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The header field `key` is probably a misspelling of, or nullptr.
const char* NearestHeaderKey(const std::string& key) {
  for (const char* known : {"revision", "parents", "message", "transaction", "downgrade",
                            "sqlite-foreign-keys", "alembic", "loses-data"}) {
    if (EditDistance(key, known) <= 2) return known;
  }
  return nullptr;
}

// Follows block comments (nested, as PostgreSQL nests them), quoted strings and identifiers and
// dollar quotes from line to line, so that a marker or header is recognised only where a line
// starts outside all of them.
class LineLexer {
 public:
  bool AtCodeLevel() const { return depth_ == 0 && quote_ == 0 && tag_.empty(); }

  void Feed(std::string_view line) {
    size_t i = 0;
    while (i < line.size()) {
      std::string_view rest = line.substr(i);
      if (depth_ > 0) {
        if (rest.starts_with("*/")) {
          --depth_;
          i += 2;
        } else if (rest.starts_with("/*")) {
          ++depth_;
          i += 2;
        } else {
          ++i;
        }
      } else if (quote_ != 0) {
        if (backslash_escapes_ && line[i] == '\\') {
          i += 2;
        } else if (line[i] == quote_) {
          if (i + 1 < line.size() && line[i + 1] == quote_) {
            i += 2;  // a doubled quote is part of the string
          } else {
            quote_ = 0;
            ++i;
          }
        } else {
          ++i;
        }
      } else if (!tag_.empty()) {
        if (rest.starts_with(tag_)) {
          i += tag_.size();
          tag_.clear();
        } else {
          ++i;
        }
      } else if (rest.starts_with("--")) {
        return;  // the rest of the line is a comment
      } else if (rest.starts_with("/*")) {
        depth_ = 1;
        i += 2;
      } else if (line[i] == '\'' || line[i] == '"') {
        // E'...' strings take backslash escapes (PostgreSQL).
        backslash_escapes_ = line[i] == '\'' && i > 0 &&
                             (line[i - 1] == 'E' || line[i - 1] == 'e') &&
                             (i < 2 || !IsWordChar(line[i - 2]));
        quote_ = line[i];
        ++i;
      } else if (line[i] == '$') {
        size_t end = i + 1;
        while (end < line.size() && IsWordChar(line[end])) ++end;
        if (end < line.size() && line[end] == '$' &&
            !(end > i + 1 && std::isdigit(static_cast<unsigned char>(line[i + 1])))) {
          tag_ = std::string(line.substr(i, end - i + 1));
          i = end + 1;
        } else {
          ++i;
        }
      } else {
        ++i;
      }
    }
  }

 private:
  static bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  int depth_ = 0;
  char quote_ = 0;
  bool backslash_escapes_ = false;
  std::string tag_;
};

// The first word of a statement, upper-cased ("COMMIT", "BEGIN"), and the second.
std::pair<std::string, std::string> LeadingWords(const std::string& sql) {
  std::pair<std::string, std::string> words;
  size_t i = 0;
  for (std::string* word : {&words.first, &words.second}) {
    while (i < sql.size() && !std::isalpha(static_cast<unsigned char>(sql[i]))) ++i;
    while (i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_')) {
      *word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
    }
  }
  return words;
}

// Whether a statement ends, begins or abandons the surrounding transaction.
bool IsForeignKeysPragma(const std::string& sql) {
  std::string flat;
  for (char c : sql) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      flat += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return flat.starts_with("pragmaforeign_keys") || flat.starts_with("pragmamain.foreign_keys");
}

bool IsTransactionControl(const std::string& sql) {
  auto [first, second] = LeadingWords(sql);
  if (first == "BEGIN" || first == "COMMIT" || first == "END" || first == "ABORT") return true;
  if (first == "START" && second == "TRANSACTION") return true;
  if (first == "ROLLBACK" && second != "TO") return true;  // ROLLBACK TO SAVEPOINT is fine
  if (first == "PREPARE" && second == "TRANSACTION") return true;
  return false;
}

class ScriptParser {
 public:
  ScriptParser(std::string_view text, const std::string& path) : text_(text), path_(path) {
    script_.path = path;
  }

  Result<Script> Parse() {
    int line_number = 0;
    size_t pos = 0;
    while (pos < text_.size()) {
      size_t end = text_.find('\n', pos);
      if (end == std::string_view::npos) end = text_.size();
      ++line_number;
      std::string_view line = text_.substr(pos, end - pos);
      if (lexer_.AtCodeLevel()) {
        MIGRATIOND_RETURN_IF_ERROR(OnLine(line, line_number, pos));
      } else if (ParseMarker(Trim(line).substr(0, 2) == "--" ? Trim(line).substr(2) : "")) {
        // It looks like a section marker but sits in a comment or a string: it would silently
        // not start a section (and an upgrade could run nothing yet advance the version).
        return Error(line_number,
                     "a section marker inside a /* */ comment or a quoted string, where it "
                     "does not count; close the comment or string before it, or remove it");
      }
      lexer_.Feed(line);
      pos = end + 1;
    }
    CloseSection(text_.size());
    return Finish();
  }

 private:
  // A header that changes behaviour, written inside a section, is only a comment there: the
  // revision would behave otherwise than its author wrote (and `-- downgrade: no-op` in the
  // section had the checksum of the header form).
  Status CheckNotMisplacedHeader(std::string_view comment, int number) const {
    const size_t colon = comment.find(':');
    if (colon == std::string_view::npos) return Status::Ok();
    const std::string_view key = Trim(comment.substr(0, colon));
    for (const char* header : {"downgrade", "transaction", "sqlite-foreign-keys"}) {
      if (key == header) {
        return Error(number, "'-- " + std::string(key) +
                                 ":' is a header: inside a section it is a comment and changes "
                                 "nothing; move it into the header, above the first '-- +' "
                                 "marker");
      }
    }
    return Status::Ok();
  }

  Status Error(int line, const std::string& what) const {
    return Status::ParseError(path_ + ":" + std::to_string(line) + ": " + what);
  }

  Status OnLine(std::string_view line, int number, size_t offset) {
    std::string_view trimmed = Trim(line);
    if (trimmed.substr(0, 2) == "--") {
      if (auto marker = ParseMarker(trimmed.substr(2)))
        return OnMarker(*marker, number, offset, line);
      if (!in_sections_) return OnHeaderComment(Trim(trimmed.substr(2)), number);
      return CheckNotMisplacedHeader(Trim(trimmed.substr(2)), number);
    }
    if (!in_sections_ && !trimmed.empty()) {
      return Error(number,
                   "SQL before the first '-- +upgrade' marker; put statements in a section");
    }
    return Status::Ok();
  }

  Status OnHeaderComment(std::string_view body, int number) {
    size_t colon = body.find(':');
    if (colon == std::string_view::npos) return Status::Ok();  // a plain comment
    std::string key(Trim(body.substr(0, colon)));
    std::string_view value = Trim(body.substr(colon + 1));
    if (key.empty() || key.find(' ') != std::string::npos) return Status::Ok();  // prose
    bool known = key == "revision" || key == "parents" || key == "message" ||
                 key == "transaction" || key == "downgrade" || key == "sqlite-foreign-keys" ||
                 key == "alembic" || key == "loses-data";
    if (known && !seen_keys_.insert(key).second) {
      return Error(number, "header field '" + key + "' given twice");
    }
    if (key == "revision") {
      if (!IsValidRevisionId(value)) {
        return Error(number, "revision id '" + std::string(value) +
                                 "' is invalid: use only letters, digits and '_'");
      }
      script_.id = std::string(value);
    } else if (key == "parents") {
      script_.parents = SplitParents(value);
      script_.parents_line = number;
      for (const auto& parent : script_.parents) {
        if (!IsValidRevisionId(parent)) {
          return Error(number, "parent '" + parent + "' is not a valid revision id");
        }
      }
    } else if (key == "message") {
      script_.message = std::string(value);
    } else if (key == "loses-data") {
      script_.loses_data = std::string(value);
    } else if (key == "alembic") {
      // The Alembic revision this one continues (adopting an Alembic-managed database).
      if (!IsValidRevisionId(value)) {
        return Error(number, "alembic revision id '" + std::string(value) +
                                 "' is invalid: use the id from the Alembic script (letters, "
                                 "digits and '_')");
      }
      script_.alembic = std::string(value);
    } else if (key == "transaction") {
      if (value == "per-migration") {
        script_.transaction = TransactionMode::kPerMigration;
      } else if (value == "none") {
        script_.transaction = TransactionMode::kNone;
      } else {
        return Error(number, "transaction must be 'per-migration' or 'none', not '" +
                                 std::string(value) + "'");
      }
    } else if (key == "downgrade") {
      if (value != "no-op") {
        return Error(number,
                     "downgrade must be 'no-op' (rolling this revision back needs no "
                     "statements), not '" +
                         std::string(value) + "'");
      }
      script_.downgrade_is_noop = true;
    } else if (key == "sqlite-foreign-keys") {
      if (value != "off") {
        return Error(number,
                     "sqlite-foreign-keys must be 'off' (foreign keys are on otherwise), "
                     "not '" +
                         std::string(value) + "'");
      }
      script_.sqlite_foreign_keys_off = true;
    } else if (const char* nearest = NearestHeaderKey(key)) {
      // Close to a real field: almost certainly a typo that would silently change the graph.
      return Error(number, "unknown header field '" + key + "'; did you mean '" + nearest + "'?");
    }  // anything else is a prose comment such as "-- Note: ..."
    return Status::Ok();
  }

  Status OnMarker(const Marker& marker, int number, size_t offset, std::string_view line) {
    if (marker.direction == Direction::kStamp) {
      return Error(number, "unknown section marker '+" + marker.dialect +
                               "' (expected '-- +upgrade' or '-- +downgrade')");
    }
    if (!marker.dialect.empty() && !IsKnownDialect(marker.dialect)) {
      return Error(number,
                   "unknown dialect '" + marker.dialect + "' (expected sqlite or postgresql)");
    }
    CloseSection(offset);
    auto& sections = marker.direction == Direction::kUpgrade ? script_.upgrade : script_.downgrade;
    if (sections.count(marker.dialect)) {
      return Error(number, std::string("a second '") + std::string(Trim(line)) + "' section");
    }
    in_sections_ = true;
    open_ = &sections[marker.dialect];
    open_->first_line = number + 1;
    open_start_ = offset + line.size() + 1;
    return Status::Ok();
  }

  void CloseSection(size_t end_offset) {
    if (open_ == nullptr) return;
    size_t start = std::min(open_start_, text_.size());
    open_->sql = std::string(text_.substr(start, std::max(end_offset, start) - start));
    open_ = nullptr;
  }

  Result<Script> Finish() {
    if (script_.sqlite_foreign_keys_off && script_.transaction == TransactionMode::kNone) {
      return Error(1,
                   "'sqlite-foreign-keys: off' needs the revision's transaction (the foreign key "
                   "check runs before its commit); remove 'transaction: none'");
    }
    // Each engine's section by that engine's lexer; the common ones portably here, and by the
    // engine's lexer once it is known (ScriptDirectory::CheckDialect).
    MIGRATIOND_RETURN_IF_ERROR(script_.CheckNoTransactionControl(""));
    if (!seen_keys_.count("revision")) {
      return Error(1, "missing '-- revision: <id>' header");
    }
    if (!seen_keys_.count("parents")) {
      return Error(1, "missing '-- parents:' header (leave it empty for a base revision)");
    }
    if (script_.upgrade.empty()) {
      return Error(1, "no '-- +upgrade' section: every revision needs one (it may be empty)");
    }
    std::vector<std::string> sorted = script_.parents;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      return Error(script_.parents_line, "a parent is listed twice");
    }
    if (std::find(sorted.begin(), sorted.end(), script_.id) != sorted.end()) {
      return Error(script_.parents_line, "revision '" + script_.id + "' lists itself as parent");
    }
    return std::move(script_);
  }

  std::string_view text_;
  const std::string& path_;
  Script script_;
  std::set<std::string> seen_keys_;
  bool in_sections_ = false;
  LineLexer lexer_;
  ScriptSection* open_ = nullptr;
  size_t open_start_ = 0;
};

}  // namespace

bool IsKnownDialect(std::string_view dialect) {
  return dialect == kDialectSqlite || dialect == kDialectPostgresql;
}

const char* DirectionName(Direction direction) {
  switch (direction) {
    case Direction::kUpgrade:
      return "upgrade";
    case Direction::kDowngrade:
      return "downgrade";
    case Direction::kStamp:
      return "stamp";
    case Direction::kRepair:
      return "repair";
  }
  return "unknown";
}

bool IsValidRevisionId(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(),
                                    [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

const ScriptSection* Script::EffectiveSection(Direction direction, std::string_view dialect) const {
  const auto& sections = direction == Direction::kDowngrade ? downgrade : upgrade;
  if (auto it = sections.find(std::string(dialect)); it != sections.end()) return &it->second;
  if (auto it = sections.find(""); it != sections.end()) return &it->second;
  return nullptr;
}

bool Script::HasUpgradeFor(std::string_view dialect) const {
  return EffectiveSection(Direction::kUpgrade, dialect) != nullptr;
}

bool Script::HasDowngradeFor(std::string_view dialect) const {
  // An empty section is a forgotten downgrade, not a rollback: moving the version row back
  // while the upgrade's objects stay would break the next upgrade.
  if (downgrade_is_noop) return true;
  const ScriptSection* section = EffectiveSection(Direction::kDowngrade, dialect);
  return section != nullptr && !Statements(Direction::kDowngrade, dialect).empty();
}

std::vector<SqlStatement> Script::Statements(Direction direction, std::string_view dialect) const {
  const ScriptSection* section = EffectiveSection(direction, dialect);
  if (section == nullptr) return {};
  return SplitSqlStatements(section->sql, section->first_line, dialect);
}

Status Script::CheckNoTransactionControl(std::string_view dialect) const {
  if (transaction != TransactionMode::kPerMigration) return Status::Ok();
  for (const auto* sections : {&upgrade, &downgrade}) {
    for (const auto& [key, section] : *sections) {
      // "": every dialect section by its own lexer, common ones portably; a dialect: the
      // common sections by that dialect's lexer.
      if (!dialect.empty() && !key.empty()) continue;
      const std::string_view lexer = key.empty() ? dialect : std::string_view(key);
      for (const auto& statement : SplitSqlStatements(section.sql, section.first_line, lexer)) {
        if (IsForeignKeysPragma(statement.text)) {
          return Status::ParseError(
              path + ":" + std::to_string(statement.line) +
              ": 'PRAGMA foreign_keys' does nothing inside a transaction (SQLite ignores it "
              "there), so the table rebuild it is meant for would run with foreign keys on and "
              "cascade; remove it and add the header '-- sqlite-foreign-keys: off' instead");
        }
        if (!IsTransactionControl(statement.text)) continue;
        // COMMIT/ROLLBACK AND CHAIN needs a transaction block, which a `transaction: none`
        // revision does not have: the way out is two revisions.
        std::string upper = statement.text;
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        const bool chain = upper.find("AND CHAIN") != std::string::npos &&
                           upper.find("AND NO CHAIN") == std::string::npos;
        const std::string way_out =
            chain ? "split the revision in two at this statement (each revision is one "
                    "transaction); '-- transaction: none' would not help, since 'AND CHAIN' "
                    "can only be used in a transaction block"
                  : "remove it, or declare '-- transaction: none' and make each statement safe "
                    "to re-run";
        return Status::ParseError(
            path + ":" + std::to_string(statement.line) + ": '" +
            LeadingWords(statement.text).first +
            "' inside a transactional revision would end migrationd's transaction half-way "
            "(what follows would run outside it, and a failure could not be rolled back); " +
            way_out +
            (key.empty() && !dialect.empty()
                 ? std::string(" (read by ") + std::string(dialect) +
                       "'s lexer: if this is another engine's syntax, move it to a '-- +" +
                       DirectionName(sections == &upgrade ? Direction::kUpgrade
                                                          : Direction::kDowngrade) +
                       " " +
                       std::string(dialect == kDialectSqlite ? kDialectPostgresql
                                                             : kDialectSqlite) +
                       "' section)"
                 : ""));
      }
    }
  }
  return Status::Ok();
}

std::string Script::Checksum(std::string_view dialect) const {
  if (auto sealed = sealed_checksums_.find(dialect); sealed != sealed_checksums_.end()) {
    return sealed->second;
  }
  return ComputeChecksum(dialect);
}

bool Script::ChecksumIs(std::string_view dialect, const std::string& checksum) const {
  if (auto sealed = sealed_checksums_.find(dialect); sealed != sealed_checksums_.end()) {
    return sealed->second == checksum;
  }
  return ComputeChecksum(dialect) == checksum;
}

void Script::SealChecksums() {
  sealed_checksums_.clear();
  for (std::string_view dialect : {kDialectSqlite, kDialectPostgresql}) {
    sealed_checksums_.emplace(dialect, ComputeChecksum(dialect));
  }
}

namespace {

// The section's text without its `-- lint: allow ...` lines: a suppression changes nothing the
// database runs, and adding one to an applied revision (when a new rule flags it) must not make
// its checksum differ. Text without one is returned as it is.
std::string WithoutLintComments(const std::string& sql) {
  if (sql.find("-- lint:") == std::string::npos) return sql;
  std::string kept;
  size_t start = 0;
  while (start < sql.size()) {
    size_t end = sql.find('\n', start);
    end = end == std::string::npos ? sql.size() : end + 1;
    const std::string_view line(sql.data() + start, end - start);
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || !line.substr(first).starts_with("-- lint:")) {
      kept += line;
    }
    start = end;
  }
  return kept;
}

}  // namespace

std::string Script::ComputeChecksum(std::string_view dialect) const {
  Sha256 hasher;
  for (Direction direction : {Direction::kUpgrade, Direction::kDowngrade}) {
    hasher.Update(direction == Direction::kUpgrade ? "-- +upgrade\n" : "-- +downgrade\n");
    if (const ScriptSection* section = EffectiveSection(direction, dialect)) {
      hasher.Update(WithoutLintComments(section->sql));
    }
  }
  // The declaration changes what a rollback does; scripts without it keep their checksums.
  if (downgrade_is_noop) hasher.Update("-- downgrade: no-op\n");
  if (sqlite_foreign_keys_off) hasher.Update("-- sqlite-foreign-keys: off\n");
  return hasher.HexDigest();
}

namespace {

// "path:line:column" of `text[offset]`, the column counted in characters.
std::string PlaceOf(std::string_view text, size_t offset, const std::string& path) {
  const std::string_view before = text.substr(0, offset);
  const size_t line_start =
      before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
  size_t column = 1;
  for (size_t at = line_start; at < offset;
       at += std::max<size_t>(1, Utf8SequenceLength(text, at))) {
    ++column;
  }
  const auto line = std::count(before.begin(), before.end(), '\n') + 1;
  return path + ":" + std::to_string(line) + ":" + std::to_string(column);
}

// A script is read as the bytes it is: the engines read statements as C strings (a NUL byte
// would end one there and drop the rest unseen), and every reply carries its text as UTF-8.
Status CheckBytes(std::string_view text, const std::string& path) {
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return Status::ParseError(PlaceOf(text, nul, path) +
                              ": a NUL byte (0x00) in the script; no engine reads past it, so "
                              "the statements after it would be lost: remove it");
  }
  if (const size_t bad = FindInvalidUtf8(text); bad != std::string_view::npos) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[bad]));
    return Status::ParseError(PlaceOf(text, bad, path) + ": byte " + byte +
                              " is not UTF-8; scripts must be UTF-8 text: save the file as UTF-8");
  }
  return Status::Ok();
}

}  // namespace

Result<Script> ParseScript(std::string_view text, const std::string& path) {
  MIGRATIOND_RETURN_IF_ERROR(CheckBytes(text, path));
  // A byte order mark some editors write at the start of UTF-8 files is not text.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  auto script = ScriptParser(text, path).Parse();
  if (script.ok()) script->SealChecksums();
  return script;
}

std::string RenderNewScript(const std::string& id, const std::vector<std::string>& parents,
                            const std::string& message) {
  std::string joined;
  for (const auto& parent : parents) joined += (joined.empty() ? "" : ", ") + parent;
  return "-- revision: " + id + "\n-- parents: " + joined + "\n-- message: " + message +
         "\n-- transaction: per-migration\n\n-- +upgrade\n\n-- +downgrade\n"
         "-- The statements that undo the upgrade. Left empty, the revision cannot be rolled\n"
         "-- back; if undoing it needs nothing, say so with a '-- downgrade: no-op' header.\n";
}

}  // namespace migrationd
