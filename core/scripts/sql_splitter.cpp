#include "core/scripts/sql_splitter.h"

#include <pg_query.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

namespace migrationd {
namespace {

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string UpperWord(std::string_view sql, size_t start, size_t end) {
  std::string word(sql.substr(start, end - start));
  std::transform(word.begin(), word.end(), word.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return word;
}

// A dollar-quote tag at `pos` ("$$" or "$name$"), or an empty view if there is none.
std::string_view DollarTag(std::string_view sql, size_t pos) {
  if (sql[pos] != '$') return {};
  size_t end = pos + 1;
  while (end < sql.size() && IsWordChar(sql[end]) &&
         !(end == pos + 1 && std::isdigit(static_cast<unsigned char>(sql[end])))) {
    ++end;
  }
  if (end < sql.size() && sql[end] == '$') return sql.substr(pos, end - pos + 1);
  return {};
}

// Tracks the words of one statement to know whether a ';' ends it: inside the body of a
// CREATE TRIGGER / FUNCTION / PROCEDURE, BEGIN and CASE open a block that END closes.
class BlockTracker {
 public:
  void OnWord(const std::string& word) {
    if (words_seen_ < 6) {
      ++words_seen_;
      if (words_seen_ == 1) creating_ = word == "CREATE";
      if (creating_ && (word == "TRIGGER" || word == "FUNCTION" || word == "PROCEDURE")) {
        has_body_ = true;
      }
    }
    if (!has_body_) return;
    if (word == "BEGIN" || word == "CASE") ++depth_;
    if (word == "END" && depth_ > 0) --depth_;
  }
  bool InsideBlock() const { return depth_ > 0; }
  void Reset() { *this = BlockTracker(); }

 private:
  int words_seen_ = 0;
  bool creating_ = false;
  bool has_body_ = false;
  int depth_ = 0;
};

// The end of the block comment opening at `open` (just past its "*/", or the end of `sql`).
size_t BlockCommentEnd(std::string_view sql, size_t open, bool nested) {
  int depth = 0;
  size_t i = open;
  while (i < sql.size()) {
    if (sql.substr(i, 2) == "/*" && (nested || depth == 0)) {
      ++depth;
      i += 2;
    } else if (sql.substr(i, 2) == "*/") {
      i += 2;
      if (--depth == 0) return i;
    } else {
      ++i;
    }
  }
  return sql.size();
}

// The end of the quoted text opening at `open` with `quote` and closing with `close` (just past
// it). A doubled closing character is part of the text; with `backslashes`, so is "\x".
size_t QuoteEnd(std::string_view sql, size_t open, char close, bool backslashes) {
  size_t i = open + 1;
  while (i < sql.size()) {
    if (backslashes && sql[i] == '\\') {
      i += 2;
    } else if (sql[i] == close) {
      if (i + 1 < sql.size() && sql[i + 1] == close) {
        i += 2;
      } else {
        return i + 1;
      }
    } else {
      ++i;
    }
  }
  return sql.size();
}

bool IsCommentOnly(std::string_view text, bool nested) {
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    } else if (text.substr(i, 2) == "--") {
      i = text.find('\n', i);
      if (i == std::string_view::npos) return true;
    } else if (text.substr(i, 2) == "/*") {
      i = BlockCommentEnd(text, i, nested);
    } else {
      return false;
    }
  }
  return true;
}

// One piece of a split (up to, not including, its ';') as a statement: blanks and line
// comments before it dropped, the line of its first character kept. Nothing for a piece of
// blanks and comments only.
void AddStatement(std::string_view text, int start_line, bool nested_comments,
                  std::vector<SqlStatement>& statements) {
  if (IsCommentOnly(text, nested_comments)) return;
  size_t first = 0;
  int lines_before = 0;
  while (first < text.size()) {
    if (text[first] == '\n') {
      ++lines_before;
      ++first;
    } else if (std::isspace(static_cast<unsigned char>(text[first]))) {
      ++first;
    } else if (text.substr(first, 2) == "--") {
      first = text.find('\n', first);
    } else {
      break;
    }
  }
  size_t last = text.find_last_not_of(" \t\r\n");
  statements.push_back(
      {std::string(text.substr(first, last + 1 - first)), start_line + lines_before});
}

// Statements from the pieces [begin, end) of `sql` an engine's lexer found.
std::vector<SqlStatement> FromPieces(std::string_view sql, int first_line, bool nested_comments,
                                     const std::vector<std::pair<size_t, size_t>>& pieces) {
  std::vector<SqlStatement> statements;
  int line = first_line;
  size_t counted = 0;
  for (const auto& [begin, end] : pieces) {
    line += static_cast<int>(std::count(sql.begin() + static_cast<std::ptrdiff_t>(counted),
                                        sql.begin() + static_cast<std::ptrdiff_t>(begin), '\n'));
    counted = begin;
    AddStatement(sql.substr(begin, end - begin), line, nested_comments, statements);
  }
  return statements;
}

// The pieces plus whatever text lies between them (or after the last) that is more than
// blanks, comments and ';': libpg_query's scanner split leaves out a statement whose first word
// is no keyword ("SELEC 1;"), and a statement left out would let its revision succeed without
// it. Such text becomes a piece of its own, which the server then rejects with its line.
std::vector<std::pair<size_t, size_t>> WithGaps(
    std::string_view sql, const std::vector<std::pair<size_t, size_t>>& pieces) {
  std::vector<std::pair<size_t, size_t>> all;
  size_t covered = 0;
  auto add_gap = [&](size_t end) {
    std::string gap(sql.substr(covered, end - covered));
    std::replace(gap.begin(), gap.end(), ';', ' ');
    if (IsCommentOnly(gap, true)) return;
    size_t last = sql.find_last_not_of(" \t\r\n", end - 1);
    if (last != std::string_view::npos && last >= covered && sql[last] == ';') end = last;
    // From its first word: the ';' that ended the piece before is no part of it.
    const size_t begin = std::min(end, sql.find_first_not_of(" \t\r\n;", covered));
    all.emplace_back(begin, end);
  };
  for (const auto& piece : pieces) {
    if (piece.first > covered) add_gap(piece.first);
    all.push_back(piece);
    covered = std::max(covered, piece.second);
  }
  if (covered < sql.size()) add_gap(sql.size());
  return all;
}

// PostgreSQL's own grammar (libpg_query, PostgreSQL 15): it knows every quoting, comment and
// body form, BEGIN ATOMIC included. Syntax it does not know (a newer server's) falls back to
// its scanner, which still knows every token. Nothing when both fail (an unterminated string).
std::optional<std::vector<SqlStatement>> SplitWithPostgres(std::string_view sql, int first_line) {
  const std::string text(sql);
  for (auto split : {pg_query_split_with_parser, pg_query_split_with_scanner}) {
    PgQuerySplitResult result = split(text.c_str());
    std::unique_ptr<PgQuerySplitResult, void (*)(PgQuerySplitResult*)> owned(
        &result, [](PgQuerySplitResult* r) { pg_query_free_split_result(*r); });
    if (result.error != nullptr) continue;
    std::vector<std::pair<size_t, size_t>> pieces;
    for (int i = 0; i < result.n_stmts; ++i) {
      const auto begin = static_cast<size_t>(result.stmts[i]->stmt_location);
      const auto length = static_cast<size_t>(result.stmts[i]->stmt_len);
      pieces.emplace_back(begin, length == 0 ? text.size() : begin + length);
    }
    return FromPieces(sql, first_line, true, WithGaps(sql, pieces));
  }
  return std::nullopt;
}

// SQLite's own tokenizer: a ';' ends a statement when sqlite3_complete() says the text up to it
// is complete (not inside a string, comment, identifier or trigger body).
std::vector<SqlStatement> SplitWithSqlite(std::string_view sql, int first_line) {
  std::vector<std::pair<size_t, size_t>> pieces;
  size_t start = 0;
  for (size_t semicolon = sql.find(';'); semicolon != std::string_view::npos;
       semicolon = sql.find(';', semicolon + 1)) {
    const std::string candidate(sql.substr(start, semicolon + 1 - start));
    if (sqlite3_complete(candidate.c_str()) == 0) continue;
    pieces.emplace_back(start, semicolon);
    start = semicolon + 1;
  }
  if (start < sql.size()) pieces.emplace_back(start, sql.size());
  return FromPieces(sql, first_line, false, pieces);
}

}  // namespace

std::vector<SqlStatement> SplitSqlStatements(std::string_view sql, int first_line,
                                             std::string_view dialect) {
  if (dialect == "sqlite") return SplitWithSqlite(sql, first_line);
  if (dialect == "postgresql") {
    if (auto statements = SplitWithPostgres(sql, first_line)) return *statements;
  }
  return SplitPortably(sql, first_line, dialect);
}

std::vector<SqlStatement> SplitPortably(std::string_view sql, int first_line,
                                        std::string_view dialect) {
  const bool nested_comments = dialect != "sqlite";
  std::vector<SqlStatement> statements;
  BlockTracker blocks;
  size_t start = 0;
  int line = first_line;
  int start_line = first_line;

  auto finish = [&](size_t end) {
    AddStatement(sql.substr(start, end - start), start_line, nested_comments, statements);
    blocks.Reset();
  };

  size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\n') {
      ++line;
      ++i;
    } else if (c == '\'' || c == '"' || c == '`' || (c == '[' && dialect != "postgresql")) {
      // E'...' takes backslash escapes; [...] and `...` are SQLite's quoted identifiers.
      const bool escapes = c == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                           (i < 2 || !IsWordChar(sql[i - 2]));
      size_t close = QuoteEnd(sql, i, c == '[' ? ']' : c, escapes);
      line += static_cast<int>(std::count(sql.begin() + i, sql.begin() + close, '\n'));
      i = close;
    } else if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
      if (i == std::string_view::npos) i = sql.size();
    } else if (sql.substr(i, 2) == "/*") {
      size_t close = BlockCommentEnd(sql, i, nested_comments);
      line += static_cast<int>(std::count(sql.begin() + i, sql.begin() + close, '\n'));
      i = close;
    } else if (std::string_view tag = DollarTag(sql, i); !tag.empty()) {
      size_t close = sql.find(tag, i + tag.size());
      close = close == std::string_view::npos ? sql.size() : close + tag.size();
      line += static_cast<int>(std::count(sql.begin() + i, sql.begin() + close, '\n'));
      i = close;
    } else if (IsWordChar(c)) {
      size_t end = i;
      while (end < sql.size() && IsWordChar(sql[end])) ++end;
      blocks.OnWord(UpperWord(sql, i, end));
      i = end;
    } else if (c == ';' && !blocks.InsideBlock()) {
      finish(i);
      ++i;
      start = i;
      start_line = line;
    } else {
      ++i;
    }
  }
  if (start < sql.size()) finish(sql.size());
  return statements;
}

}  // namespace migrationd
